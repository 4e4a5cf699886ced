"""Shapes of the opportunities API.

Read serializers describe what comes back; stage, status and probability are read-only here and
change through the actions (advance, close, reopen, probability). Input serializers check only
the shape of a request: types, choices, and ids among those the caller may pick. The rules
(milestones, gates, who may override, versions) are checked by opportunities.services, whose
refusals the API's exception handler turns into 400, 403 or 409.

Texts that are data (stage, milestone, task and aid names) come in the request's language as
`name`, `title`… and in both languages as `name_en`/`name_zh`….
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.choices import Tier
from accounts.models import Account, Contact
from accounts.selectors import account_list_visible_to, contact_list_visible_to
from salesops.api.mixins import VersionedUpdateMixin
from salesops.models import Team, User
from salesops.selectors import user_list_visible_to

from .. import selectors
from ..choices import (
    EvidenceType,
    GateKind,
    LostReason,
    OpportunityStatus,
    Qualification,
    ThreatLevel,
)
from ..models import (
    Activity,
    Competitor,
    Gate,
    GateRule,
    Milestone,
    Opportunity,
    OpportunityContact,
    SalesProcess,
    Stage,
    StageAid,
    StageChange,
    StageCollaborator,
    StageTask,
)

#: The ways a deal is closed by hand; a deal is won by reaching its won stage.
CLOSING_STATUSES = [
    (OpportunityStatus.LOST.value, OpportunityStatus.LOST.label),
    (OpportunityStatus.ABANDONED.value, OpportunityStatus.ABANDONED.label),
]


def _user_of(serializer: serializers.Serializer) -> User | None:
    request = serializer.context.get("request")
    return request.user if request is not None else None


def _text(help_text=None, **kwargs) -> serializers.CharField:
    """An optional free text that defaults to empty, as the services expect."""
    return serializers.CharField(
        required=False, allow_blank=True, default="", help_text=help_text, **kwargs
    )


# Small nested shapes


class StageBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("In the request's language."))

    class Meta:
        model = Stage
        fields = ["code", "order", "name"]
        read_only_fields = fields


class CustomerStageBriefSerializer(serializers.ModelSerializer):
    """The customer's purchase stage: the stage row of the same order, under its customer
    name."""

    name = serializers.CharField(
        source="customer_name", read_only=True, help_text=_("In the request's language.")
    )

    class Meta:
        model = Stage
        fields = ["code", "order", "name"]
        read_only_fields = fields


class AccountBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "tier"]
        read_only_fields = fields


class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]
        read_only_fields = fields


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


# Sales processes


class StageTaskSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)

    class Meta:
        model = StageTask
        fields = [
            "order",
            "name",
            "name_en",
            "name_zh",
            "description",
            "description_en",
            "description_zh",
        ]
        read_only_fields = fields


class StageAidSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)

    class Meta:
        model = StageAid
        fields = [
            "kind",
            "industry",
            "order",
            "title",
            "title_en",
            "title_zh",
            "body",
            "body_en",
            "body_zh",
            "link",
        ]
        read_only_fields = fields


class StageCollaboratorSerializer(serializers.ModelSerializer):
    assessed_on = serializers.CharField(read_only=True)

    class Meta:
        model = StageCollaborator
        fields = ["role", "assessed_on", "assessed_on_en", "assessed_on_zh"]
        read_only_fields = fields


class ProcessMilestoneSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id",
            "code",
            "order",
            "name",
            "name_en",
            "name_zh",
            "description",
            "description_en",
            "description_zh",
            "is_required",
            "evidence_type",
            "proves_contract",
        ]
        read_only_fields = fields


class ProcessStageSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    customer_name = serializers.CharField(
        read_only=True, help_text=_("The customer's purchase stage, in the request's language.")
    )
    milestones = ProcessMilestoneSerializer(many=True, read_only=True)
    tasks = StageTaskSerializer(many=True, read_only=True)
    aids = StageAidSerializer(many=True, read_only=True)
    collaborators = StageCollaboratorSerializer(many=True, read_only=True)

    class Meta:
        model = Stage
        fields = [
            "code",
            "order",
            "name",
            "name_en",
            "name_zh",
            "customer_name",
            "customer_name_en",
            "customer_name_zh",
            "probability",
            "customer_probability",
            "is_won",
            "milestones",
            "tasks",
            "aids",
            "collaborators",
        ]
        read_only_fields = fields


class GateRuleSerializer(serializers.ModelSerializer):
    leaving_stage = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text=_("The gate guards the way out of it.")
    )
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=Tier.choices),
        read_only=True,
        help_text=_("Account tiers the gate applies to; empty: every tier."),
    )
    required_facts = serializers.ListField(
        child=serializers.ChoiceField(choices=Qualification.choices),
        read_only=True,
        help_text=_("Qualification facts that must be known before the gate is requested."),
    )

    class Meta:
        model = GateRule
        fields = ["kind", "leaving_stage", "min_amount", "tiers", "required_facts", "is_active"]
        read_only_fields = fields


class SalesProcessSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text=_("In the request's language."))
    description = serializers.CharField(read_only=True)
    stages = ProcessStageSerializer(many=True, read_only=True)
    gate_rules = GateRuleSerializer(source="gates", many=True, read_only=True)

    class Meta:
        model = SalesProcess
        fields = [
            "code",
            "name",
            "name_en",
            "name_zh",
            "description",
            "description_en",
            "description_zh",
            "is_default",
            "is_active",
            "stages",
            "gate_rules",
        ]
        read_only_fields = fields


# Opportunities


class QualificationFactSerializer(serializers.Serializer):
    known = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class QualificationSerializer(serializers.Serializer):
    """The eight MEDDPICC facts, each known or not with a short note. In an edit, send only
    the facts (and parts) that change: `{"champion": {"known": true, "note": "CIO"}}`."""

    metrics = QualificationFactSerializer(required=False)
    economic_buyer = QualificationFactSerializer(required=False)
    decision_criteria = QualificationFactSerializer(required=False)
    decision_process = QualificationFactSerializer(required=False)
    paper_process = QualificationFactSerializer(required=False)
    identified_pain = QualificationFactSerializer(required=False)
    champion = QualificationFactSerializer(required=False)
    competition = QualificationFactSerializer(required=False)

    def to_representation(self, opportunity: Opportunity) -> dict:
        return {
            fact: {
                "known": getattr(opportunity, f"{fact}_known"),
                "note": getattr(opportunity, f"{fact}_note"),
            }
            for fact in Qualification.values
        }


def service_fields(validated_data: dict) -> dict:
    """Validated input as the services take it: the qualification object becomes the model's
    `<fact>_known` / `<fact>_note` fields."""
    fields = dict(validated_data)
    for fact, parts in (fields.pop("qualification", None) or {}).items():
        for part, value in parts.items():
            fields[f"{fact}_{part}"] = value
    return fields


class OpportunitySerializer(serializers.ModelSerializer):
    """An opportunity as read. Stage, customer stage, status and probability are changed by
    the actions and by an edit of the customer stage, never written here directly."""

    account = AccountBriefSerializer(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True)
    process = serializers.SlugRelatedField(slug_field="code", read_only=True)
    stage = StageBriefSerializer(read_only=True)
    customer_stage = CustomerStageBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    forecast_category_display = serializers.CharField(
        source="get_forecast_category_display", read_only=True
    )
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    default_probability = serializers.IntegerField(
        read_only=True,
        help_text=_("The lower of the sales-stage and customer-stage default probabilities."),
    )
    weighted_amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        read_only=True,
        help_text=_("Amount × effective probability."),
    )
    is_over_reporting = serializers.BooleanField(
        read_only=True, help_text=_("The sales stage is ahead of the customer's purchase stage.")
    )
    is_late_entry = serializers.BooleanField(
        read_only=True, help_text=_("The customer was more than one stage ahead of us.")
    )
    days_in_stage = serializers.IntegerField(read_only=True)
    qualification = QualificationSerializer(source="*", read_only=True)
    lost_reason_display = serializers.CharField(source="get_lost_reason_display", read_only=True)
    lost_at_stage = StageBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "name",
            "account",
            "owner",
            "team",
            "process",
            "stage",
            "customer_stage",
            "stage_entered_at",
            "days_in_stage",
            "status",
            "status_display",
            "amount",
            "currency",
            "expected_margin_pct",
            "expected_close_date",
            "forecast_category",
            "forecast_category_display",
            "source",
            "source_display",
            "description",
            "probability",
            "default_probability",
            "probability_override",
            "probability_override_reason",
            "weighted_amount",
            "is_over_reporting",
            "is_late_entry",
            "qualification",
            "lost_reason",
            "lost_reason_display",
            "lost_note",
            "lost_at_stage",
            "closed_on",
            "last_activity_on",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


OPPORTUNITY_INPUT_FIELDS = [
    "name",
    "amount",
    "currency",
    "expected_margin_pct",
    "expected_close_date",
    "forecast_category",
    "source",
    "description",
    "customer_stage",
    "qualification",
]


class OpportunityCreateSerializer(serializers.ModelSerializer):
    """A new deal with one of the caller's visible accounts. It starts in the first stage of
    the process unless a stage is given; the service refuses a won stage, a stage of another
    process and an owner outside the caller's sight."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.none())
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, help_text=_("Defaults to you.")
    )
    process = serializers.SlugRelatedField(
        slug_field="code",
        queryset=SalesProcess.objects.filter(is_active=True),
        required=False,
        help_text=_("A process code; defaults to the company's default process."),
    )
    stage = serializers.CharField(
        required=False, help_text=_("A stage code of the process; defaults to the first stage.")
    )
    customer_stage = serializers.CharField(
        required=False,
        help_text=_("A stage code of the process; defaults to the sales stage."),
    )
    qualification = QualificationSerializer(required=False)

    class Meta:
        model = Opportunity
        fields = ["account", "owner", "process", "stage", *OPPORTUNITY_INPUT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["account"].queryset = account_list_visible_to(user)
            self.fields["owner"].queryset = user_list_visible_to(user).filter(is_active=True)


class OpportunityUpdateSerializer(VersionedUpdateMixin, serializers.ModelSerializer):
    """An edit of a deal's facts with the version it was read at. Amount, close date, forecast
    category and customer stage keep their history, with the reason given."""

    customer_stage = serializers.CharField(
        required=False, help_text=_("A stage code of the opportunity's process.")
    )
    qualification = QualificationSerializer(required=False)
    reason = _text(
        _("Why the amount, close date, forecast category or customer stage changed."),
        write_only=True,
    )
    version = serializers.IntegerField(
        help_text=_("The version you read; if the deal changed since, the edit gets 409.")
    )
    fixed_fields = {
        "account": _("A deal stays with its account; open a new one for the other account."),
        "owner": _("Reassign the deal to change its owner."),
    }

    class Meta:
        model = Opportunity
        fields = [*OPPORTUNITY_INPUT_FIELDS, "reason", "version"]


class ReassignSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.none())
    reason = serializers.CharField(allow_blank=True, help_text=_("Required; kept in the history."))
    version = serializers.IntegerField(help_text=_("The version you read."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["owner"].queryset = user_list_visible_to(user).filter(is_active=True)


class AdvanceSerializer(serializers.Serializer):
    to_stage = serializers.CharField(help_text=_("A stage code of the opportunity's process."))
    note = _text(_("What happened; kept in the stage history."))
    override_reason = _text(
        _("A manager's reason to skip stages or move back; required for those moves.")
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_("The version you read; if given and the deal changed since, 409."),
    )


class CloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CLOSING_STATUSES)
    reason = serializers.ChoiceField(
        choices=LostReason.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required when the deal is lost."),
    )
    note = _text(_("What happened."))
    version = serializers.IntegerField(required=False, allow_null=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("Required; kept in the history."))


class ProbabilitySerializer(serializers.Serializer):
    probability = serializers.IntegerField(
        min_value=0,
        max_value=100,
        allow_null=True,
        help_text=_("The win probability in percent, or null to go back to the stage defaults."),
    )
    reason = _text(_("Required when a probability is set."))


# The stage path of one opportunity


class MilestoneStateSerializer(serializers.Serializer):
    """A milestone of the deal's process and whether it is checked now, with the evidence.
    The check fields are null while the milestone is not checked."""

    id = serializers.IntegerField(source="milestone.id")
    code = serializers.CharField(source="milestone.code")
    name = serializers.CharField(source="milestone.name")
    description = serializers.CharField(source="milestone.description")
    is_required = serializers.BooleanField(source="milestone.is_required")
    evidence_type = serializers.ChoiceField(
        source="milestone.evidence_type", choices=EvidenceType.choices
    )
    proves_contract = serializers.BooleanField(source="milestone.proves_contract")
    is_checked = serializers.SerializerMethodField()
    evidence_note = serializers.CharField(source="check.evidence_note", allow_null=True)
    evidence_link = serializers.CharField(source="check.evidence_link", allow_null=True)
    evidence_file = serializers.FileField(source="check.evidence_file", allow_null=True)
    activity = serializers.IntegerField(source="check.activity_id", allow_null=True)
    checked_by = UserBriefSerializer(source="check.checked_by", allow_null=True)
    checked_at = serializers.DateTimeField(source="check.checked_at", allow_null=True)

    def get_is_checked(self, item: dict) -> bool:
        return item["check"] is not None


class TaskStateSerializer(serializers.Serializer):
    """A stage task and whether it is done on this deal."""

    task = StageTaskSerializer()
    is_done = serializers.SerializerMethodField()
    done_at = serializers.DateTimeField(source="done.done_at", default=None)

    def get_is_done(self, item: dict) -> bool:
        return item["done"] is not None


class StagePathSerializer(serializers.Serializer):
    stage = StageBriefSerializer()
    customer_name = serializers.CharField(source="stage.customer_name")
    is_current = serializers.BooleanField(help_text=_("The deal's sales stage."))
    is_done = serializers.BooleanField(help_text=_("A stage the deal has left behind."))
    is_customer = serializers.BooleanField(help_text=_("The customer's purchase stage."))
    milestones = MilestoneStateSerializer(many=True)
    tasks = TaskStateSerializer(many=True)
    aids = StageAidSerializer(many=True, help_text=_("For every industry and the account's."))
    collaborators = StageCollaboratorSerializer(many=True)


class MilestoneInputSerializer(serializers.Serializer):
    """Check a milestone with evidence, or un-check it. Send a file as multipart form data."""

    milestone = serializers.CharField(
        help_text=_("The milestone's id, or its code when it is unique in the process.")
    )
    checked = serializers.BooleanField(default=True)
    note = _text(_("Evidence, or why it is un-checked."))
    link = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    file = serializers.FileField(required=False, allow_null=True, default=None)
    activity = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An activity of this opportunity that proves the milestone."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        opportunity = self.context.get("opportunity")
        if opportunity is not None:
            self.fields["activity"].queryset = Activity.objects.filter(opportunity=opportunity)

    def validate_milestone(self, value: str) -> Milestone:
        opportunity = self.context["opportunity"]
        milestones = Milestone.objects.filter(stage__process_id=opportunity.process_id)
        value = value.strip()
        matching = (
            milestones.filter(pk=int(value)) if value.isdigit() else milestones.filter(code=value)
        )
        found = list(matching[:2])
        if not found:
            raise serializers.ValidationError(_("No such milestone in this deal's process."))
        if len(found) > 1:
            raise serializers.ValidationError(
                _("Several stages have a milestone with this code; send its id.")
            )
        return found[0]


# Decision chain, competitors


class DecisionChainEntrySerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    contact_title = serializers.CharField(source="contact.title", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    attitude_display = serializers.CharField(source="get_attitude_display", read_only=True)
    relationship_display = serializers.CharField(source="get_relationship_display", read_only=True)

    class Meta:
        model = OpportunityContact
        fields = [
            "contact",
            "contact_name",
            "contact_title",
            "role",
            "role_display",
            "influence",
            "attitude",
            "attitude_display",
            "relationship",
            "relationship_display",
            "note",
            "updated_at",
        ]
        read_only_fields = fields


class DecisionChainSetSerializer(serializers.ModelSerializer):
    """Place a contact of the deal's account in this purchase; sending a contact that is
    placed already replaces their role, influence, attitude and relationship."""

    contact = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none())

    class Meta:
        model = OpportunityContact
        fields = ["contact", "role", "influence", "attitude", "relationship", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        opportunity, user = self.context.get("opportunity"), _user_of(self)
        if opportunity is not None and user is not None:
            self.fields["contact"].queryset = contact_list_visible_to(user).filter(
                account_id=opportunity.account_id
            )


class CompetitorSerializer(serializers.ModelSerializer):
    """A competitor in the deal; sending a name that is there already (ignoring case)
    replaces its strengths and threat."""

    threat_level = serializers.ChoiceField(choices=ThreatLevel.choices, default=ThreatLevel.MID)

    class Meta:
        model = Competitor
        fields = ["id", "name", "strengths", "threat_level"]
        read_only_fields = ["id"]
        # Sending a competitor that is there already updates it (the service upserts).
        validators = []


# Gates


class GateSerializer(serializers.ModelSerializer):
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    account_name = serializers.CharField(source="opportunity.account.name", read_only=True)
    amount = serializers.DecimalField(
        source="opportunity.amount", max_digits=16, decimal_places=2, read_only=True
    )
    stage = StageBriefSerializer(source="opportunity.stage", read_only=True)
    leaving_stage = serializers.CharField(
        source="rule.leaving_stage.code",
        read_only=True,
        help_text=_("The stage whose way out the gate guards."),
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = UserBriefSerializer(read_only=True, allow_null=True)
    decided_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Gate
        fields = [
            "id",
            "opportunity",
            "opportunity_name",
            "account_name",
            "amount",
            "stage",
            "kind",
            "kind_display",
            "leaving_stage",
            "status",
            "status_display",
            "requested_by",
            "requested_at",
            "request_note",
            "decided_by",
            "decided_at",
            "decision_note",
            "conditions",
        ]
        read_only_fields = fields


class GateRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GateKind.choices)
    note = _text(_("What the reviewer should know."))


class GateApproveSerializer(serializers.Serializer):
    note = _text()
    conditions = _text(_("Given: the gate is approved with these conditions."))


class GateRejectSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, help_text=_("Required: why it is rejected."))


# Stage history


class StageChangeSerializer(serializers.ModelSerializer):
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    from_stage = StageBriefSerializer(read_only=True, allow_null=True)
    to_stage = StageBriefSerializer(read_only=True)
    changed_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StageChange
        fields = [
            "id",
            "opportunity",
            "opportunity_name",
            "kind",
            "kind_display",
            "from_stage",
            "to_stage",
            "status",
            "changed_at",
            "changed_by",
            "note",
            "override_reason",
            "days_in_previous",
        ]
        read_only_fields = fields


# Activities


class ContactBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "title"]
        read_only_fields = fields


class ActivitySerializer(serializers.ModelSerializer):
    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    account_name = serializers.CharField(source="opportunity.account.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    contacts = ContactBriefSerializer(many=True, read_only=True)
    owner = UserBriefSerializer(read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "opportunity",
            "opportunity_name",
            "account_name",
            "kind",
            "kind_display",
            "occurred_on",
            "subject",
            "contacts",
            "outcome",
            "next_step",
            "next_step_due",
            "next_step_done",
            "owner",
            "created_at",
        ]
        read_only_fields = fields


class ActivityCreateSerializer(serializers.ModelSerializer):
    """An activity on one of the caller's visible deals; its contacts must be people at the
    deal's account (the service checks)."""

    opportunity = serializers.PrimaryKeyRelatedField(queryset=Opportunity.objects.none())
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(), many=True, required=False
    )

    class Meta:
        model = Activity
        fields = [
            "opportunity",
            "kind",
            "occurred_on",
            "subject",
            "contacts",
            "outcome",
            "next_step",
            "next_step_due",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["opportunity"].queryset = selectors.opportunity_list_visible_to(user)
            self.fields["contacts"].child_relation.queryset = contact_list_visible_to(user)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
