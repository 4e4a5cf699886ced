"""Presales resources: engineers with their skills, capacity and days off; resource requests
(资源调度单) moving through their lifecycle; the assignments that book engineers; the hours they
log. Rows with a rule are written by resources.services only."""

import pathlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.choices import Role

from .choices import OPEN_STATUSES, RequestStatus, RequestType, SkillLevel, TechOutcome

HOURS = {"max_digits": 7, "decimal_places": 2}
WEIGHT = {"max_digits": 4, "decimal_places": 2}
ENGINEER_ROLES = (Role.PRESALES_ENGINEER, Role.PRESALES_LEAD)


class DispatchPolicy(models.Model):
    """How the company weighs a request's deadline and its deal's stage in the priority score
    (DESIGN.md §1.6). One row (pk=1), edited in the admin; the tier weights are the tiering
    policy's presales weights."""

    stage_urgency_span = models.DecimalField(
        _("stage urgency span"),
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_(
            "Stage urgency grows from 1 in the first stage to 1 + this span in the last open "
            "stage of the deal's process."
        ),
        **WEIGHT,
    )
    urgent_within_days = models.PositiveSmallIntegerField(_("urgent within (days)"), default=7)
    urgent_weight = models.DecimalField(
        _("deadline weight: urgent"), default=Decimal("1.50"), **WEIGHT
    )
    soon_within_days = models.PositiveSmallIntegerField(_("soon within (days)"), default=30)
    soon_weight = models.DecimalField(_("deadline weight: soon"), default=Decimal("1.25"), **WEIGHT)
    normal_within_days = models.PositiveSmallIntegerField(_("normal within (days)"), default=90)
    normal_weight = models.DecimalField(
        _("deadline weight: normal"), default=Decimal("1.00"), **WEIGHT
    )
    later_weight = models.DecimalField(
        _("deadline weight: later"), default=Decimal("0.75"), **WEIGHT
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dispatch policy")
        verbose_name_plural = _("dispatch policy")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="dispatch_policy_single_row"),
            models.CheckConstraint(
                condition=models.Q(urgent_within_days__lte=models.F("soon_within_days"))
                & models.Q(soon_within_days__lte=models.F("normal_within_days")),
                name="dispatch_policy_deadline_bands_in_order",
                violation_error_message=_("Urgent, soon and normal must be in growing order."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Dispatch policy"))

    @classmethod
    def current(cls) -> "DispatchPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def deadline_weight(self, days_left: int) -> tuple[str, Decimal]:
        """The band a deadline so many days away falls in, and its weight (overdue is urgent)."""
        if days_left <= self.urgent_within_days:
            return "urgent", self.urgent_weight
        if days_left <= self.soon_within_days:
            return "soon", self.soon_weight
        if days_left <= self.normal_within_days:
            return "normal", self.normal_weight
        return "later", self.later_weight


class Skill(models.Model):
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = [Lower("name")]
        constraints = [models.UniqueConstraint(Lower("name"), name="skill_name_unique_ci")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.name = " ".join(self.name.split())
        if self.name and Skill.objects.filter(name__iexact=self.name).exclude(pk=self.pk).exists():
            raise ValidationError({"name": _("A skill with this name already exists.")})


class EngineerProfile(models.Model):
    """A presales engineer's capacity and cost. The team is the user's team."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="engineer_profile",
    )
    weekly_capacity_hours = models.DecimalField(
        _("weekly capacity (hours)"),
        default=Decimal("40.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(120))],
        help_text=_("Hours a week available for presales work, spread over Monday to Friday."),
        **HOURS,
    )
    cost_rate_per_hour = models.DecimalField(
        _("cost rate per hour"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0))],
    )
    skills = models.ManyToManyField(
        Skill, through="EngineerSkill", related_name="engineers", verbose_name=_("skills")
    )
    is_active = models.BooleanField(_("takes assignments"), default=True)

    class Meta:
        verbose_name = _("presales engineer")
        verbose_name_plural = _("presales engineers")
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekly_capacity_hours__gte=0),
                name="engineer_capacity_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_rate_per_hour__gte=0),
                name="engineer_cost_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def daily_capacity_hours(self) -> Decimal:
        return self.weekly_capacity_hours / 5

    def clean(self):
        super().clean()
        if self.user_id and self.user.role not in ENGINEER_ROLES:
            raise ValidationError(
                {"user": _("Only presales engineers and leads have an engineer profile.")}
            )


class EngineerSkill(models.Model):
    engineer = models.ForeignKey(
        EngineerProfile, on_delete=models.CASCADE, related_name="skill_levels"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="engineer_levels")
    level = models.PositiveSmallIntegerField(
        _("level"), choices=SkillLevel, default=SkillLevel.SOLID
    )

    class Meta:
        verbose_name = _("engineer skill")
        verbose_name_plural = _("engineer skills")
        constraints = [
            models.UniqueConstraint(fields=["engineer", "skill"], name="engineer_skill_once"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="engineer_skill_level_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engineer}: {self.skill} ({self.level})"


class DayOff(models.Model):
    """A working day the engineer is not available (leave, training, public holiday)."""

    engineer = models.ForeignKey(EngineerProfile, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("day off")
        verbose_name_plural = _("days off")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["engineer", "date"], name="day_off_once_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.engineer}: {self.date}"


class ResourceRequest(models.Model):
    """A rep's request for presales support on a deal (资源调度单). Status, priority, the
    timestamps and the evaluation are written by resources.services only; `version` guards
    edits of the draft."""

    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.PROTECT,
        related_name="resource_requests",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="resource_requests",
    )
    kind = models.CharField(_("type"), max_length=20, choices=RequestType)
    skills = models.ManyToManyField(
        Skill, verbose_name=_("required skills"), blank=True, related_name="requests"
    )
    estimated_hours = models.DecimalField(
        _("estimated hours"), validators=[MinValueValidator(Decimal("0.25"))], **HOURS
    )
    wanted_start = models.DateField(_("wanted from"))
    wanted_end = models.DateField(_("wanted until"))
    justification = models.TextField(_("justification"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RequestStatus,
        default=RequestStatus.DRAFT,
        db_index=True,
    )
    priority_score = models.DecimalField(
        _("priority"), max_digits=20, decimal_places=2, default=Decimal(0), db_index=True
    )
    priority_explanation = models.JSONField(_("priority explained"), default=dict, blank=True)
    priority_computed_at = models.DateTimeField(_("priority computed"), null=True, blank=True)

    reject_reason = models.TextField(_("why rejected"), blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_comment = models.TextField(_("comment on the support"), blank=True)
    tech_outcome = models.CharField(
        _("technical outcome"), max_length=10, choices=TechOutcome, blank=True
    )

    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock for edits.")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # One timestamp per transition: the SLA reports read them.
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("resource request")
        verbose_name_plural = _("resource requests")
        ordering = ["-priority_score", "pk"]
        indexes = [
            models.Index(fields=["status", "-priority_score"]),
            models.Index(fields=["opportunity", "status"]),
            models.Index(fields=["requester", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_hours__gt=0),
                name="request_estimated_hours_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(wanted_end__gte=models.F("wanted_start")),
                name="request_wanted_end_not_before_start",
                violation_error_message=_("The wanted end cannot be before the start."),
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="request_rating_1_5",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="evaluated") | models.Q(rating__isnull=False),
                name="evaluated_request_has_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} · {self.opportunity}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def clean(self):
        super().clean()
        if self.wanted_start and self.wanted_end and self.wanted_end < self.wanted_start:
            raise ValidationError({"wanted_end": _("The wanted end cannot be before the start.")})


def attachment_path(attachment: "RequestAttachment", filename: str) -> str:
    """A stored name nobody can guess: files are served only through the download view, which
    checks that the user sees the request."""
    suffix = "".join(pathlib.PurePath(filename).suffixes[-1:]).lower()[:10]
    return f"resource_requests/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class RequestAttachment(models.Model):
    """A file sent with a request (the customer's RFP, a network diagram, the solution
    written by the engineer). Added and removed by resources.services only."""

    request = models.ForeignKey(
        ResourceRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class RequestTransition(models.Model):
    """Every status change of a request: from, to, who, when and the note."""

    request = models.ForeignKey(
        ResourceRequest, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(_("from"), max_length=12, choices=RequestStatus, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=RequestStatus)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    notified_at = models.DateTimeField(_("e-mails sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("request transition")
        verbose_name_plural = _("request transitions")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status or '—'} → {self.to_status}"


class Assignment(models.Model):
    """An engineer booked on a dispatched request for some hours in a window. Booking beyond
    the engineer's free capacity, or ahead of higher-priority requests, keeps the lead's
    reason."""

    request = models.ForeignKey(
        ResourceRequest, on_delete=models.CASCADE, related_name="assignments"
    )
    engineer = models.ForeignKey(
        EngineerProfile,
        verbose_name=_("engineer"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    planned_hours = models.DecimalField(_("planned hours"), **HOURS)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    over_capacity_hours = models.DecimalField(
        _("hours beyond free capacity"), default=Decimal(0), **HOURS
    )
    over_capacity_reason = models.TextField(_("why beyond capacity"), blank=True)
    out_of_order_reason = models.TextField(_("why ahead of higher priorities"), blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["engineer", "start", "end"])]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "engineer"], name="engineer_once_per_request"
            ),
            models.CheckConstraint(
                condition=models.Q(planned_hours__gt=0), name="assignment_hours_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")),
                name="assignment_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(over_capacity_hours__lte=0) | ~models.Q(over_capacity_reason=""),
                name="over_capacity_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engineer} on #{self.request_id}: {self.planned_hours} h"

    @property
    def is_over_capacity(self) -> bool:
        return self.over_capacity_hours > 0


class TimeEntry(models.Model):
    """Hours an engineer worked on an assignment on one day. The cost rate is copied from the
    profile when logged, so that a later change of rate does not rewrite past costs."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="time_entries"
    )
    date = models.DateField(_("date"), db_index=True)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=2)
    note = models.TextField(_("note"), blank=True)
    cost_rate = models.DecimalField(_("cost rate per hour"), max_digits=10, decimal_places=2)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_at = models.DateTimeField(_("logged"), default=timezone.now)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["assignment", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=24), name="time_entry_hours_0_24"
            ),
            models.CheckConstraint(
                condition=models.Q(cost_rate__gte=0), name="time_entry_cost_rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment}: {self.date} {self.hours} h"
