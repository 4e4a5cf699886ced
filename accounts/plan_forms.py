"""Forms of the account plan pages. They collect input; the rules live in accounts.services and
the models, whose messages the views put back on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesops.forms import BootstrapFormMixin

from .choices import BidPosition, PlanGoalStatus, WishSide
from .forms import ServiceErrorsMixin
from .models import AccountPlan, PlanGoal, RoadmapItem, WishListItem

# A position or an escalation decision is final: bid or no bid, never "undecided".
DECISIONS = [(choice.value, choice.label) for choice in (BidPosition.BID, BidPosition.NO_BID)]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as the first day of it; browsers show a month picker."""

    widget = MonthInput

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_python(self, value):
        month = super().to_python(value)
        return month.replace(day=1) if month else month


class _VersionedModelForm(ServiceErrorsMixin, BootstrapFormMixin, forms.ModelForm):
    """An edit carries the version it was loaded at, so that a stale save is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]

    def _post_clean(self):
        # The service validates the model once, on the locked row.
        pass

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class AccountPlanForm(_VersionedModelForm):
    class Meta:
        model = AccountPlan
        fields = ["revenue_objective", "gross_margin_objective_pct", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class PlanGoalForm(_VersionedModelForm):
    class Meta:
        model = PlanGoal
        fields = ["kind", "description", "due_date", "status"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["status"]  # a new goal is open


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PlanGoalStatus.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class WishListItemForm(_VersionedModelForm):
    class Meta:
        model = WishListItem
        fields = ["title", "offering", "estimated_amount", "expected_quarter", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class WishPositionForm(BootstrapFormMixin, forms.Form):
    position = forms.ChoiceField(
        label=pgettext_lazy("bid or no-bid stance", "Position"), choices=DECISIONS
    )
    note = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept on record next to the other side's position."),
    )
    side = forms.ChoiceField(choices=WishSide.choices, required=False, widget=forms.HiddenInput)


class EscalationDecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS)
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RoadmapItemForm(_VersionedModelForm):
    start_month = MonthField(label=_("Start month"))
    end_month = MonthField(label=_("End month"))

    class Meta:
        model = RoadmapItem
        fields = ["initiative", "offering", "start_month", "end_month", "wish_item", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, plan: AccountPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wish_item"].queryset = plan.wish_items.order_by("title")
