"""Forms of the presales dispatch pages. They check the shape of what is typed; the rules
(who may, capacity, order, hours a day) are the services', whose refusals land here through
ServiceErrorsMixin."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.forms import ServiceErrorsMixin
from opportunities.choices import OpportunityStatus
from opportunities.selectors import opportunity_list_visible_to
from salesops.forms import BootstrapFormMixin
from salesops.models import User

from .choices import RequestStatus, RequestType, TechOutcome
from .exceptions import CapacityRefused, OutOfOrderRefused
from .models import ResourceRequest, Skill
from .services import attachment_max_bytes

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
HOURS = {"max_digits": 7, "decimal_places": 2, "min_value": Decimal("0.25")}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks what each holds."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [data] if data else []


def files_field(required: bool) -> MultipleFileField:
    return MultipleFileField(
        label=_("Attachments"),
        required=required,
        allow_empty_file=True,  # the service refuses it, with the file's name
        help_text=_("One or more files (no programs), up to %(limit)s each."),
    )


def _limit() -> str:
    return filesizeformat(attachment_max_bytes())


class RequestForm(ServiceErrorsMixin, forms.Form):
    """A draft request: on create the deal is chosen (prefilled from the deal page)."""

    opportunity = forms.ModelChoiceField(label=_("Opportunity"), queryset=None)
    kind = forms.ChoiceField(label=_("Type"), choices=RequestType.choices)
    skills = forms.ModelMultipleChoiceField(
        label=_("Required skills"),
        queryset=Skill.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    estimated_hours = forms.DecimalField(label=_("Estimated hours"), **HOURS)
    wanted_start = forms.DateField(label=_("Wanted from"), widget=DATE)
    wanted_end = forms.DateField(label=_("Wanted until"), widget=DATE)
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the customer needs and why presales time pays off on this deal."),
    )
    files = files_field(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user: User, instance: ResourceRequest | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "opportunity": instance.opportunity,
                    "kind": instance.kind,
                    "skills": list(instance.skills.all()),
                    "estimated_hours": instance.estimated_hours,
                    "wanted_start": instance.wanted_start,
                    "wanted_end": instance.wanted_end,
                    "justification": instance.justification,
                    "version": instance.version,
                },
            )
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["files"].help_text = self.fields["files"].help_text % {"limit": _limit()}
        if instance is not None:
            # The deal of a request does not change; ask again on another deal instead.
            # Files are added on the request page.
            del self.fields["opportunity"]
            del self.fields["files"]
        else:
            del self.fields["version"]
            self.fields["opportunity"].queryset = (
                opportunity_list_visible_to(user)
                .filter(status=OpportunityStatus.OPEN)
                .select_related("account")
                .order_by("name")
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("wanted_start"), cleaned.get("wanted_end")
        if start and end and end < start:
            self.add_error("wanted_end", _("The wanted end cannot be before the start."))
        return cleaned

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in ("kind", "estimated_hours", "wanted_start", "wanted_end", "justification")
        }
        fields["skills"] = list(data["skills"])
        if self.instance is None:
            fields["opportunity"] = data["opportunity"]
            fields["files"] = data["files"]
        return fields


class AttachmentForm(ServiceErrorsMixin, forms.Form):
    files = files_field(required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = self.fields["files"].help_text % {"limit": _limit()}


class RequestFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *RequestStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *RequestType.choices], required=False
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["mine"]:
            queryset = queryset.filter(requester=self.user)
        return queryset

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class ReasonForm(ServiceErrorsMixin, forms.Form):
    """Rejecting or cancelling: the reason goes into the history."""

    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class DispatchForm(ServiceErrorsMixin, forms.Form):
    """One row per suggested engineer (a box to pick them, hours, from, until), and the two
    reasons the service may ask for: shown only once it asked, or when already given."""

    out_of_order_reason = forms.CharField(
        label=_("Why this request goes ahead of higher priorities"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    over_capacity_reason = forms.CharField(
        label=_("Why book beyond free capacity"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, request: ResourceRequest, suggestions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.rows = []
        self.fields["version"].initial = request.version
        for index, suggestion in enumerate(suggestions):
            engineer = suggestion["engineer"]
            prefix = f"engineer-{engineer.pk}"
            top = index == 0
            self.fields[f"{prefix}-pick"] = forms.BooleanField(
                label=str(engineer), required=False, initial=top
            )
            self.fields[f"{prefix}-hours"] = forms.DecimalField(
                label=_("Hours"),
                required=False,
                initial=request.estimated_hours if top else None,
                **HOURS,
            )
            self.fields[f"{prefix}-start"] = forms.DateField(
                label=_("From"), required=False, initial=request.wanted_start, widget=DATE
            )
            self.fields[f"{prefix}-end"] = forms.DateField(
                label=_("Until"), required=False, initial=request.wanted_end, widget=DATE
            )
            self.rows.append({"suggestion": suggestion, "prefix": prefix})
        # The mixin gave classes to the fields declared on the class only.
        for name, field in self.fields.items():
            if name.endswith("-pick"):
                field.widget.attrs["class"] = "form-check-input"
            elif name.startswith("engineer-"):
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.needs_out_of_order = bool(self.data.get("out_of_order_reason", "").strip())
        self.needs_over_capacity = bool(self.data.get("over_capacity_reason", "").strip())

    def bound_rows(self) -> list[dict]:
        return [
            {
                **row,
                "pick": self[f"{row['prefix']}-pick"],
                "hours": self[f"{row['prefix']}-hours"],
                "start": self[f"{row['prefix']}-start"],
                "end": self[f"{row['prefix']}-end"],
            }
            for row in self.rows
        ]

    def clean(self):
        cleaned = super().clean()
        lines = []
        for row in self.rows:
            prefix = row["prefix"]
            if not cleaned.get(f"{prefix}-pick"):
                continue
            hours = cleaned.get(f"{prefix}-hours")
            start, end = cleaned.get(f"{prefix}-start"), cleaned.get(f"{prefix}-end")
            for name, value in (("hours", hours), ("start", start), ("end", end)):
                if value is None and f"{prefix}-{name}" not in self.errors:
                    self.add_error(f"{prefix}-{name}", _("Required for a picked engineer."))
            if hours is not None and start and end:
                lines.append((row["suggestion"]["engineer"], hours, start, end))
        if not lines and not self.errors:
            raise ValidationError(_("Pick at least one engineer."))
        cleaned["assignments"] = lines
        return cleaned

    def add_service_error(self, error: Exception) -> None:
        if isinstance(error, OutOfOrderRefused):
            self.needs_out_of_order = True
        if isinstance(error, CapacityRefused):
            self.needs_over_capacity = True
        super().add_service_error(error)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "assignments": data["assignments"],
            "out_of_order_reason": data["out_of_order_reason"],
            "over_capacity_reason": data["over_capacity_reason"],
            "note": data["note"],
            "version": data["version"],
        }


class TimeLogForm(ServiceErrorsMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    hours = forms.DecimalField(label=_("Hours"), max_digits=4, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False)


class EvaluateForm(ServiceErrorsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(value, str(value)) for value in range(1, 6)],
        widget=forms.RadioSelect,
        help_text=_("1 is poor, 5 is excellent."),
    )
    tech_outcome = forms.ChoiceField(label=_("Technical outcome"), choices=TechOutcome.choices)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DayOffForm(ServiceErrorsMixin, forms.Form):
    """A range of days off; the service keeps the working days of it and refuses overlaps."""

    start = forms.DateField(label=_("First day off"), widget=DATE)
    end = forms.DateField(label=_("Last day off"), widget=DATE)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=120,
        required=False,
        help_text=_("Leave, training, public holiday…"),
    )
