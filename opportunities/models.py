"""The sales process as data, opportunities moving through it, and everything they record on
the way: stage history, milestone checks, gates, activities, the decision chain, competitors and
the changes the alerts read. Rows with a rule are written by opportunities.services only."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Attitude, Influence, PurchaseRole, RelationshipLevel
from salesops.i18n import localized_property

from .choices import (
    ActivityKind,
    AidKind,
    CollaboratorRole,
    EvidenceType,
    ForecastCategory,
    GateKind,
    GateStatus,
    LostReason,
    OpportunityStatus,
    Qualification,
    Source,
    StageChangeKind,
    ThreatLevel,
    TrackedField,
)

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
MONEY = {"max_digits": 16, "decimal_places": 2}


class SalesProcess(models.Model):
    """A company's way of selling: the default eight stages, or e.g. a short process for small
    standard-product deals, each with its own milestones."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    is_default = models.BooleanField(_("default process"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    name = localized_property("name")
    description = localized_property("description")

    class Meta:
        verbose_name = _("sales process")
        verbose_name_plural = _("sales processes")
        ordering = ["-is_default", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_sales_process",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def first_stage(self) -> "Stage":
        return self.stages.order_by("order").first()


class Stage(models.Model):
    """One step of a process, mirrored by the customer's purchase stage of the same order."""

    process = models.ForeignKey(SalesProcess, on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"))
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)
    customer_name_en = models.CharField(_("customer purchase stage (English)"), max_length=120)
    customer_name_zh = models.CharField(
        _("customer purchase stage (Chinese)"), max_length=120, blank=True
    )
    probability = models.PositiveSmallIntegerField(_("default win probability"), validators=PERCENT)
    customer_probability = models.PositiveSmallIntegerField(
        _("default win probability of the customer stage"), validators=PERCENT
    )
    is_won = models.BooleanField(
        _("contract signed"), default=False, help_text=_("Reaching this stage wins the deal.")
    )

    name = localized_property("name")
    customer_name = localized_property("customer_name")

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["process", "order"]
        constraints = [
            models.UniqueConstraint(fields=["process", "code"], name="stage_code_per_process"),
            models.UniqueConstraint(fields=["process", "order"], name="stage_order_per_process"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class StageCollaborator(models.Model):
    """Who else takes part in a stage, and what they are assessed on there."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="collaborators")
    role = models.CharField(_("role"), max_length=20, choices=CollaboratorRole)
    assessed_on_en = models.CharField(_("assessed on (English)"), max_length=255)
    assessed_on_zh = models.CharField(_("assessed on (Chinese)"), max_length=255, blank=True)

    assessed_on = localized_property("assessed_on")

    class Meta:
        verbose_name = _("stage collaborator")
        verbose_name_plural = _("stage collaborators")
        constraints = [
            models.UniqueConstraint(fields=["stage", "role"], name="collaborator_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.get_role_display()}"


class Milestone(models.Model):
    """An observable event that proves a stage is reached. Required milestones must be checked,
    with evidence, before the opportunity leaves the stage."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="milestones")
    code = models.SlugField(_("code"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    evidence_type = models.CharField(
        _("evidence"), max_length=10, choices=EvidenceType, default=EvidenceType.ANY
    )
    proves_contract = models.BooleanField(
        _("proves the signed contract"),
        default=False,
        help_text=_("A deal can be won only with this milestone checked."),
    )

    name = localized_property("name")
    description = localized_property("description")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["stage__order", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "code"], name="milestone_code_per_stage")
        ]

    def __str__(self) -> str:
        return self.name


class StageTask(models.Model):
    """What the rep must do in a stage: the checklist and work plan."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="tasks")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_en = models.CharField(_("task (English)"), max_length=200)
    name_zh = models.CharField(_("task (Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)

    name = localized_property("name")
    description = localized_property("description")

    class Meta:
        verbose_name = _("stage task")
        verbose_name_plural = _("stage tasks")
        ordering = ["stage__order", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class StageAid(models.Model):
    """Guidance, question lists and templates shown in a stage; an industry-specific aid is
    shown only for accounts of that industry."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="aids")
    kind = models.CharField(_("kind"), max_length=10, choices=AidKind)
    industry = models.CharField(
        _("industry"),
        max_length=30,
        blank=True,
        help_text=_("Leave empty for an aid that applies to every industry."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"))
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True, validators=[URLValidator()])

    title = localized_property("title")
    body = localized_property("body")

    class Meta:
        verbose_name = _("stage aid")
        verbose_name_plural = _("stage aids")
        ordering = ["stage__order", "order", "pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        super().clean()
        from accounts.choices import Industry

        if self.industry and self.industry not in Industry.values:
            raise ValidationError({"industry": _("Choose an industry from the list.")})


class GateRule(models.Model):
    """A review gate of a process: which stage it guards, for which deals, and which
    qualification facts must be known before it is requested."""

    process = models.ForeignKey(SalesProcess, on_delete=models.CASCADE, related_name="gates")
    kind = models.CharField(_("gate"), max_length=3, choices=GateKind)
    leaving_stage = models.ForeignKey(
        Stage,
        verbose_name=_("guards leaving"),
        on_delete=models.CASCADE,
        related_name="gate_rules",
    )
    min_amount = models.DecimalField(
        _("from amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Deals below this amount skip the gate. Empty: every deal."),
        **MONEY,
    )
    tiers = models.JSONField(
        _("account tiers"),
        default=list,
        blank=True,
        help_text=_('Tiers the gate applies to, e.g. ["A", "B"]. Empty: every tier.'),
    )
    required_facts = models.JSONField(
        _("qualification facts required"),
        default=list,
        blank=True,
        help_text=_('MEDDPICC facts that must be known, e.g. ["identified_pain"].'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gate rule")
        verbose_name_plural = _("gate rules")
        ordering = ["process", "leaving_stage__order"]
        constraints = [
            models.UniqueConstraint(fields=["process", "kind"], name="gate_kind_per_process")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.process})"

    def clean(self):
        super().clean()
        if (
            self.leaving_stage_id
            and self.process_id
            and self.leaving_stage.process_id != (self.process_id)
        ):
            raise ValidationError({"leaving_stage": _("Choose a stage of the same process.")})
        unknown = set(self.required_facts or []) - set(Qualification.values)
        if unknown:
            raise ValidationError(
                {"required_facts": _("Unknown facts: %(facts)s") % {"facts": sorted(unknown)}}
            )
        from accounts.choices import Tier

        if set(self.tiers or []) - set(Tier.values):
            raise ValidationError({"tiers": _("Tiers are A, B and C.")})

    def applies_to(self, opportunity: "Opportunity") -> bool:
        if not self.is_active:
            return False
        if self.min_amount is not None and opportunity.amount < self.min_amount:
            return False
        return not self.tiers or opportunity.account.tier in self.tiers


class Opportunity(models.Model):
    """A deal with one account. Stage, status and probability override are written by
    opportunities.services only; `version` guards every other edit."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    team = models.ForeignKey(
        "salesops.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )
    process = models.ForeignKey(
        SalesProcess, verbose_name=_("sales process"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("sales stage"), on_delete=models.PROTECT, related_name="+"
    )
    customer_stage = models.ForeignKey(
        Stage,
        verbose_name=_("customer purchase stage"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OpportunityStatus,
        default=OpportunityStatus.OPEN,
        db_index=True,
    )
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    expected_margin_pct = models.DecimalField(
        _("expected gross margin %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-100)), MaxValueValidator(Decimal(100))],
    )
    expected_close_date = models.DateField(_("expected close date"))
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=10,
        choices=ForecastCategory,
        default=ForecastCategory.PIPELINE,
    )
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.OTHER)
    description = models.TextField(_("description"), blank=True)

    probability = models.PositiveSmallIntegerField(
        _("win probability"),
        validators=PERCENT,
        help_text=_("The effective probability forecasts use."),
    )
    probability_override = models.PositiveSmallIntegerField(
        _("probability set by a manager"), null=True, blank=True, validators=PERCENT
    )
    probability_override_reason = models.TextField(_("reason for the probability"), blank=True)
    probability_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # MEDDPICC: each fact known or not, with a short note.
    metrics_known = models.BooleanField(_("metrics known"), default=False)
    metrics_note = models.TextField(_("metrics"), blank=True)
    economic_buyer_known = models.BooleanField(_("economic buyer known"), default=False)
    economic_buyer_note = models.TextField(_("economic buyer"), blank=True)
    decision_criteria_known = models.BooleanField(_("decision criteria known"), default=False)
    decision_criteria_note = models.TextField(_("decision criteria"), blank=True)
    decision_process_known = models.BooleanField(_("decision process known"), default=False)
    decision_process_note = models.TextField(_("decision process"), blank=True)
    paper_process_known = models.BooleanField(_("paper process known"), default=False)
    paper_process_note = models.TextField(_("paper process"), blank=True)
    identified_pain_known = models.BooleanField(_("identified pain known"), default=False)
    identified_pain_note = models.TextField(_("identified pain"), blank=True)
    champion_known = models.BooleanField(_("champion known"), default=False)
    champion_note = models.TextField(_("champion"), blank=True)
    competition_known = models.BooleanField(_("competition known"), default=False)
    competition_note = models.TextField(_("competition"), blank=True)

    lost_reason = models.CharField(_("reason"), max_length=20, choices=LostReason, blank=True)
    lost_note = models.TextField(_("what happened"), blank=True)
    lost_at_stage = models.ForeignKey(
        Stage,
        verbose_name=_("closed in stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, db_index=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    last_activity_on = models.DateField(_("last activity"), null=True, blank=True)
    wish_item = models.OneToOneField(
        "accounts.WishListItem",
        verbose_name=_("from the wish list"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opportunity",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["expected_close_date", "pk"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["team", "status", "stage"]),
            models.Index(fields=["account", "status"]),
            models.Index(fields=["status", "expected_close_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="lost") | ~models.Q(lost_reason=""),
                name="lost_opportunity_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    @property
    def default_probability(self) -> int:
        """The lower of the sales-stage and customer-stage defaults."""
        return min(self.stage.probability, self.customer_stage.customer_probability)

    @property
    def is_over_reporting(self) -> bool:
        """The rep's stage is ahead of what the customer is doing."""
        return self.stage.order > self.customer_stage.order

    @property
    def is_late_entry(self) -> bool:
        """The customer was more than one stage ahead of us: we came in late."""
        return self.customer_stage.order > self.stage.order + 1

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    def days_in_stage(self, now=None) -> int:
        return ((now or timezone.now()) - self.stage_entered_at).days

    def qualification(self) -> list[dict]:
        return [
            {
                "fact": fact,
                "label": fact.label,
                "known": getattr(self, f"{fact.value}_known"),
                "note": getattr(self, f"{fact.value}_note"),
            }
            for fact in Qualification
        ]

    def is_fact_known(self, fact: str) -> bool:
        return getattr(self, f"{fact}_known")

    def clean(self):
        super().clean()
        errors = {}
        if self.stage_id and self.process_id and self.stage.process_id != self.process_id:
            errors["stage"] = _("Choose a stage of the opportunity's process.")
        if (
            self.customer_stage_id
            and self.process_id
            and self.customer_stage.process_id != self.process_id
        ):
            errors["customer_stage"] = _("Choose a stage of the opportunity's process.")
        if self.account_id and self.account.status == "closed" and self._state.adding:
            errors["account"] = _("This account is closed.")
        if errors:
            raise ValidationError(errors)


class OpportunityContact(models.Model):
    """A contact's place in one purchase: the decision chain of this opportunity."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="decision_chain"
    )
    contact = models.ForeignKey(
        "accounts.Contact", on_delete=models.CASCADE, related_name="opportunity_roles"
    )
    role = models.CharField(_("role in this purchase"), max_length=30, choices=PurchaseRole)
    influence = models.CharField(_("influence"), max_length=4, choices=Influence)
    attitude = models.CharField(_("attitude towards us"), max_length=20, choices=Attitude)
    relationship = models.PositiveSmallIntegerField(
        _("relationship"), choices=RelationshipLevel, default=RelationshipLevel.NONE
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("decision-chain role")
        verbose_name_plural = _("decision chain")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "contact"], name="contact_once_per_opportunity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact.name}: {self.get_role_display()}"

    def clean(self):
        super().clean()
        if (
            self.opportunity_id
            and self.contact_id
            and self.contact.account_id != self.opportunity.account_id
        ):
            raise ValidationError({"contact": _("Choose a contact of the opportunity's account.")})


class Competitor(models.Model):
    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="competitors"
    )
    name = models.CharField(_("competitor"), max_length=120)
    strengths = models.TextField(_("strengths"), blank=True)
    threat_level = models.CharField(
        _("threat"), max_length=4, choices=ThreatLevel, default=ThreatLevel.MID
    )

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "name"], name="competitor_once_per_opportunity"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    """Every stage move, close and reopen: from, to, when, who, why, and the time spent in the
    stage left behind."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StageChangeKind)
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status after"), max_length=10, choices=OpportunityStatus)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    override_reason = models.TextField(_("manager's override"), blank=True)
    days_in_previous = models.DecimalField(
        _("days in the previous stage"), max_digits=8, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["opportunity", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage} → {self.to_stage}"


class OpportunityChange(models.Model):
    """History of the fields the alerts read: amount, close date, probability and more."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(_("field"), max_length=30, choices=TrackedField)
    old_value = models.CharField(_("old value"), max_length=100, blank=True)
    new_value = models.CharField(_("new value"), max_length=100, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("opportunity change")
        verbose_name_plural = _("opportunity changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["opportunity", "field", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.field} {self.old_value} → {self.new_value}"


class Activity(models.Model):
    """A visit, call, meeting… logged against an opportunity: the evidence for milestones and
    the basis of the no-activity alert and of rep assessment."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ActivityKind)
    occurred_on = models.DateField(_("date"), db_index=True)
    subject = models.CharField(_("subject"), max_length=200)
    contacts = models.ManyToManyField(
        "accounts.Contact", verbose_name=_("contacts"), blank=True, related_name="activities"
    )
    outcome = models.TextField(_("outcome"), blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    next_step_done = models.BooleanField(_("next step done"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["owner", "next_step_done", "next_step_due"]),
            models.Index(fields=["opportunity", "occurred_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def clean(self):
        super().clean()
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError({"occurred_on": _("An activity cannot be in the future.")})
        if self.next_step_due and not self.next_step:
            raise ValidationError({"next_step": _("Say what the next step is.")})
        if self.next_step_due and self.occurred_on and self.next_step_due < self.occurred_on:
            raise ValidationError(
                {"next_step_due": _("The next step cannot be due before the activity.")}
            )


class TaskDone(models.Model):
    """A stage task the rep has done on one deal: the checklist and work plan of a stage."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="tasks_done"
    )
    task = models.ForeignKey(StageTask, on_delete=models.CASCADE, related_name="+")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), default=timezone.now)

    class Meta:
        verbose_name = _("task done")
        verbose_name_plural = _("tasks done")
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "task"], name="task_done_once")
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.task}"


class MilestoneCheck(models.Model):
    """Whether a milestone of an opportunity is checked now, with its evidence. Every check
    and un-check is also kept in MilestoneEvent."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="milestone_checks"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="+")
    is_checked = models.BooleanField(_("checked"), default=True)
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_link = models.CharField(
        _("link"), max_length=500, blank=True, validators=[URLValidator()]
    )
    evidence_file = models.FileField(_("file"), upload_to="evidence/%Y/%m/", blank=True)
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone check")
        verbose_name_plural = _("milestone checks")
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "milestone"], name="milestone_check_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.milestone}"

    @property
    def has_evidence(self) -> bool:
        return bool(
            self.evidence_note.strip()
            or self.evidence_link
            or self.evidence_file
            or self.activity_id
        )


class MilestoneEvent(models.Model):
    """The audit trail of milestone checks and un-checks."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="milestone_events"
    )
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="+")
    checked = models.BooleanField(_("checked"))
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("milestone event")
        verbose_name_plural = _("milestone events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.milestone} {'✓' if self.checked else '✗'}"


class Gate(models.Model):
    """A gate review of one opportunity: requested by the rep, decided by a manager."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="gates")
    rule = models.ForeignKey(GateRule, on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("gate"), max_length=3, choices=GateKind)
    status = models.CharField(
        _("status"), max_length=30, choices=GateStatus, default=GateStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    request_note = models.TextField(_("request"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    conditions = models.TextField(_("conditions"), blank=True)

    class Meta:
        verbose_name = _("gate review")
        verbose_name_plural = _("gate reviews")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "kind"],
                condition=models.Q(status="requested"),
                name="one_open_gate_request_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_kind_display()} {self.get_status_display()}"


class DeliveryHandover(models.Model):
    """Created when a deal is won: what delivery takes over."""

    opportunity = models.OneToOneField(
        Opportunity, on_delete=models.CASCADE, related_name="handover"
    )
    delivery_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivery owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("handover notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery handover")
        verbose_name_plural = _("delivery handovers")

    def __str__(self) -> str:
        return f"{self.opportunity}"
