"""Forms of the deal pages. They collect input; the rules live in opportunities.services and
the models, whose messages the views put back on the form (ServiceErrorsMixin)."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Attitude, Influence, PurchaseRole, RelationshipLevel
from accounts.forms import ServiceErrorsMixin
from accounts.models import Account, Contact
from accounts.selectors import account_list_visible_to
from salesops.models import User
from salesops.selectors import user_list_visible_to

from .choices import (
    ActivityKind,
    GateStatus,
    LostReason,
    OpportunityStatus,
    Qualification,
    ThreatLevel,
)
from .models import Activity, Milestone, Opportunity, SalesProcess, Stage

QUALIFICATION_FIELDS = [
    f"{fact}_{part}" for fact in Qualification.values for part in ("known", "note")
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _contact_label(contact: Contact) -> str:
    return f"{contact.name} · {contact.title}" if contact.title else contact.name


def _stage_label(stage: Stage) -> str:
    return f"{stage.order}. {stage.name}"


def _customer_stage_label(stage: Stage) -> str:
    return f"{stage.order}. {stage.customer_name}"


def _user_label(user: User) -> str:
    return user.get_full_name()


class _ServiceForm(ServiceErrorsMixin, forms.Form):
    # Several forms share the deal page (dialogs, panels): each gets ids of its own.
    auto_id = "id_%s"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.auto_id)
        super().__init__(*args, **kwargs)


class _ServiceModelForm(ServiceErrorsMixin, forms.ModelForm):
    def _post_clean(self):
        # The service validates the model once, on the locked row; validating here as well
        # would check a stale copy.
        pass


# Creation and edits ----------------------------------------------------------------------


class OpportunityCreateForm(_ServiceModelForm):
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.none())
    process = forms.ModelChoiceField(
        label=_("Sales process"), queryset=SalesProcess.objects.none(), required=False
    )
    customer_stage = forms.ModelChoiceField(
        label=_("Customer's purchase stage"),
        queryset=Stage.objects.none(),
        required=False,
        help_text=_(
            "Where the customer's own purchase stands, if you know it. Empty: the same as ours."
        ),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: you own the opportunity."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "account",
            "name",
            "amount",
            "expected_close_date",
            "expected_margin_pct",
            "forecast_category",
            "source",
            "description",
        ]
        widgets = {
            "expected_close_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = [
        "account",
        "name",
        "amount",
        "expected_close_date",
        "process",
        "customer_stage",
        "owner",
    ]

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = (
            account_list_visible_to(user).exclude(status="closed").order_by("name")
        )
        processes = SalesProcess.objects.filter(is_active=True)
        if processes.count() > 1:
            self.fields["process"].queryset = processes
            default = processes.filter(is_default=True).first()
            self.fields["process"].initial = default.pk if default else None
            self.fields["process"].help_text = _("The stages and milestones the deal follows.")
        else:
            del self.fields["process"]
        default = processes.filter(is_default=True).first() or processes.first()
        stages = Stage.objects.filter(process__is_active=True).select_related("process")
        self.fields["customer_stage"].queryset = stages.filter(is_won=False).order_by(
            "process", "order"
        )
        if "process" in self.fields:
            self.fields["customer_stage"].label_from_instance = lambda stage: (
                f"{stage.process} · {_customer_stage_label(stage)}"
            )
        else:
            self.fields["customer_stage"].label_from_instance = _customer_stage_label
        self._default_process = default
        self.fields["forecast_category"].choices = [
            choice for choice in self.fields["forecast_category"].choices if choice[0] != "omitted"
        ]
        if user.is_admin or user.is_manager:
            self.fields["owner"].queryset = (
                user_list_visible_to(user)
                .filter(is_active=True, team__isnull=False)
                .order_by("name", "username")
            )
            self.fields["owner"].label_from_instance = _user_label
        else:
            del self.fields["owner"]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        process = data.pop("process", None) or self._default_process
        data["process"] = process
        data["customer_stage"] = data.get("customer_stage") or None
        if not data.get("owner"):
            data.pop("owner", None)
        if data.get("expected_margin_pct") is None:
            data.pop("expected_margin_pct", None)
        return data


class OpportunityEditForm(_ServiceModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why did the amount or close date change?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the history of the amount and the close date."),
    )

    class Meta:
        model = Opportunity
        fields = [
            "name",
            "amount",
            "expected_close_date",
            "expected_margin_pct",
            "forecast_category",
            "source",
            "description",
            "customer_stage",
            *QUALIFICATION_FIELDS,
        ]
        widgets = {
            "expected_close_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            **{f"{fact}_note": forms.Textarea(attrs={"rows": 2}) for fact in Qualification.values},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        deal = self.instance
        self.fields["version"].initial = deal.version
        self.fields["customer_stage"].queryset = Stage.objects.filter(process_id=deal.process_id)
        self.fields["customer_stage"].label_from_instance = _customer_stage_label
        self.fields["customer_stage"].empty_label = None
        self.fields["forecast_category"].choices = [
            choice for choice in self.fields["forecast_category"].choices if choice[0] != "omitted"
        ]

    # The field groups the template lays out.
    DETAILS = [
        "name",
        "amount",
        "expected_close_date",
        "expected_margin_pct",
        "forecast_category",
        "source",
        "customer_stage",
        "description",
        "reason",
    ]

    def details(self):
        return [self[name] for name in self.DETAILS]

    def qualification(self):
        return [
            {"label": fact.label, "known": self[f"{fact}_known"], "note": self[f"{fact}_note"]}
            for fact in Qualification
        ]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version")
        data.pop("reason")
        return data


# The rep's quick update ------------------------------------------------------------------


class LogProgressForm(_ServiceForm):
    """An activity, the milestones it proves and a stage move, in one submit."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("Activity"),
        choices=[("", _("No activity")), *ActivityKind.choices],
        required=False,
        initial=ActivityKind.VISIT,
    )
    occurred_on = forms.DateField(label=_("Date"), widget=DateInput(), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    contacts = forms.ModelMultipleChoiceField(
        label=_("With"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    outcome = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_step = forms.CharField(label=_("Next step"), max_length=255, required=False)
    next_step_due = forms.DateField(label=_("Due"), widget=DateInput(), required=False)
    milestones = forms.ModelMultipleChoiceField(
        label=_("Milestones this proves"),
        queryset=Milestone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    to_stage = forms.ChoiceField(label=_("Move to"), required=False)
    note = forms.CharField(
        label=_("Note on the move"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("Manager's override"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to skip stages or move back."),
    )

    def __init__(
        self,
        *args,
        opportunity: Opportunity,
        stages: list[Stage],
        open_milestones: list[Milestone],
        contacts: list[Contact],
        can_override: bool,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = opportunity.version
        self.fields["occurred_on"].initial = timezone.localdate
        # The choices come from what the page already loaded, not from another query.
        self.fields["contacts"].queryset = Contact.objects.filter(
            pk__in=[contact.pk for contact in contacts]
        )
        self.fields["contacts"].choices = [
            (contact.pk, _contact_label(contact)) for contact in contacts
        ]
        self.fields["milestones"].queryset = Milestone.objects.filter(
            pk__in=[milestone.pk for milestone in open_milestones]
        )
        self.fields["milestones"].choices = [
            (milestone.pk, milestone.name) for milestone in open_milestones
        ]
        current = opportunity.stage
        stay = _("Stay in %(stage)s") % {"stage": current.name}
        targets = [stage for stage in stages if stage.pk != current.pk and not stage.is_won]
        if not can_override:
            targets = [stage for stage in targets if stage.order == current.order + 1]
            del self.fields["override_reason"]
        self.fields["to_stage"].choices = [("", stay)] + [
            (stage.code, _stage_label(stage)) for stage in targets
        ]
        following = next((stage for stage in targets if stage.order == current.order + 1), None)
        self.fields["to_stage"].initial = following.code if following else ""

    def clean(self):
        data = super().clean()
        has_activity = bool(data.get("subject", "").strip())
        if has_activity and not data.get("kind"):
            self.add_error("kind", _("Say what kind of activity it was."))
        if has_activity and not data.get("occurred_on"):
            self.add_error("occurred_on", _("Say when it happened."))
        if data.get("milestones") and not has_activity:
            self.add_error(
                "milestones",
                _(
                    "Log the activity that proves these milestones, or check them one by one "
                    "with their evidence."
                ),
            )
        if not has_activity and not data.get("to_stage") and not self.errors:
            raise forms.ValidationError(_("Log an activity or choose a stage to move to."))
        return data

    def activity(self) -> dict | None:
        data = self.cleaned_data
        if not data["subject"].strip():
            return None
        return {
            "kind": data["kind"],
            "occurred_on": data["occurred_on"],
            "subject": data["subject"],
            "contacts": list(data["contacts"]),
            "outcome": data["outcome"],
            "next_step": data["next_step"],
            "next_step_due": data["next_step_due"],
        }


# Milestones ------------------------------------------------------------------------------


class MilestoneCheckForm(_ServiceForm):
    note = forms.CharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    link = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False)
    activity = forms.ModelChoiceField(
        label=_("Activity"), queryset=Activity.objects.none(), required=False
    )

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = opportunity.activities.all()
        self.fields["activity"].label_from_instance = lambda activity: (
            f"{activity.occurred_on:%Y-%m-%d} · {activity}"
        )


# Closing and manager actions -------------------------------------------------------------


class WonForm(_ServiceForm):
    auto_id = "won_%s"
    version = forms.IntegerField(widget=forms.HiddenInput)
    contract = forms.FileField(
        label=_("Signed contract"),
        required=False,
        help_text=_("The contract signed and sealed by both parties: the evidence of the win."),
    )
    note = forms.CharField(
        label=_("Note for delivery"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Opens the delivery handover."),
    )
    override_reason = forms.CharField(
        label=_("Manager's override"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when stages are skipped on the way to the win."),
    )

    def __init__(
        self, *args, opportunity: Opportunity, needs_contract: bool, can_override: bool, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = opportunity.version
        if not needs_contract:
            del self.fields["contract"]
        if not can_override:
            del self.fields["override_reason"]


class CloseForm(_ServiceForm):
    auto_id = "close_%s"
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Close as"),
        choices=[
            (OpportunityStatus.LOST.value, OpportunityStatus.LOST.label),
            (OpportunityStatus.ABANDONED.value, OpportunityStatus.ABANDONED.label),
        ],
        initial=OpportunityStatus.LOST,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—"), *LostReason.choices],
        required=False,
        help_text=_("Required for a lost deal."),
    )
    note = forms.CharField(
        label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = opportunity.version


class ReopenForm(_ServiceForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ProbabilityForm(_ServiceForm):
    auto_id = "probability_%s"
    probability = forms.IntegerField(
        label=_("Win probability %"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Empty: back to the stage defaults."),
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MoveForm(_ServiceForm):
    auto_id = "move_%s"
    """A manager moves a deal out of order (skip ahead or back) with a reason."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    to_stage = forms.ChoiceField(label=_("Move to"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    override_reason = forms.CharField(
        label=_("Manager's override"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to skip stages or move back."),
    )

    def __init__(self, *args, opportunity: Opportunity, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = opportunity.version
        self.fields["to_stage"].choices = [
            (stage.code, _stage_label(stage))
            for stage in stages
            if stage.pk != opportunity.stage_id and not stage.is_won
        ]


class ReassignForm(_ServiceForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, opportunity: Opportunity, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = opportunity.version
        self.fields["owner"].queryset = (
            user_list_visible_to(user)
            .filter(is_active=True, team__isnull=False)
            .exclude(pk=opportunity.owner_id)
            .order_by("name", "username")
        )
        self.fields["owner"].label_from_instance = _user_label


# Gates -----------------------------------------------------------------------------------


class GateRequestForm(_ServiceForm):
    note = forms.CharField(
        label=_("What the reviewers should know"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class GateDecisionForm(_ServiceForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (GateStatus.APPROVED.value, GateStatus.APPROVED.label),
            (GateStatus.APPROVED_WITH_CONDITIONS.value, GateStatus.APPROVED_WITH_CONDITIONS.label),
            (GateStatus.REJECTED.value, GateStatus.REJECTED.label),
        ],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject."),
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to approve with conditions."),
    )


# Decision chain and competitors ----------------------------------------------------------


class DecisionChainForm(_ServiceForm):
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none())
    role = forms.ChoiceField(label=_("Role in this purchase"), choices=PurchaseRole.choices)
    influence = forms.ChoiceField(
        label=_("Influence"), choices=Influence.choices, initial=Influence.MID
    )
    attitude = forms.ChoiceField(
        label=_("Attitude towards us"), choices=Attitude.choices, initial=Attitude.NEUTRAL
    )
    relationship = forms.TypedChoiceField(
        label=_("Relationship"),
        choices=RelationshipLevel.choices,
        coerce=int,
        initial=RelationshipLevel.NONE,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            Contact.objects.filter(
                Q(is_active=True) | Q(opportunity_roles__opportunity=opportunity),
                account_id=opportunity.account_id,
            )
            .distinct()
            .order_by("name")
        )
        self.fields["contact"].label_from_instance = _contact_label

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("contact")
        return data


class CompetitorForm(_ServiceForm):
    auto_id = "competitor_%s"
    name = forms.CharField(label=_("Competitor"), max_length=120)
    threat_level = forms.ChoiceField(
        label=_("Threat"), choices=ThreatLevel.choices, initial=ThreatLevel.MID
    )
    strengths = forms.CharField(
        label=_("Strengths"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
