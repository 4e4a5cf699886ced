"""Deal control (业务成交管控): what the background jobs compute from the pipeline so that
dashboards and the API read stored rows instead of scanning every opportunity per request.

- FunnelSnapshot: the open pipeline per day x team x rep x stage.
- StageStatistic: conversion and time in stage from the stage history, per process and team
  (team null = company-wide, the fallback for small samples).
- RepMonth: a rep's closed deals, cycle time and activity per month, for scorecards.
- ForecastRun: one forecast (method, scope, period, as-of date) with its figures, kept so that
  it can be compared with what was booked afterwards.
- AlertRule / Alert: one rule per anomaly with editable thresholds, and what it found.
- JobRun: a manual "recompute now" and its progress.

Every row here is written by forecasting.services only; each job replaces what it computes for
its scope and day, so running it twice changes nothing.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    AlertKind,
    AlertStatus,
    ForecastMethod,
    JobKind,
    JobStatus,
    PeriodKind,
    ScopeKind,
    Severity,
    SubjectKind,
)

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}
DAYS = {"max_digits": 8, "decimal_places": 1}


class FunnelSnapshot(models.Model):
    """The open deals of one rep in one team at one stage, as they stood on one day."""

    day = models.DateField(_("day"))
    team = models.ForeignKey(
        "salesops.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    process = models.ForeignKey(
        "opportunities.SalesProcess",
        verbose_name=_("sales process"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    stage = models.ForeignKey(
        "opportunities.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    count = models.PositiveIntegerField(_("deals"))
    amount = models.DecimalField(_("amount"), **MONEY)
    weighted_amount = models.DecimalField(_("weighted amount"), **MONEY)

    class Meta:
        verbose_name = _("funnel snapshot")
        verbose_name_plural = _("funnel snapshots")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team", "owner", "stage"], name="funnel_snapshot_unique_cell"
            )
        ]
        indexes = [
            models.Index(fields=["day", "team"]),
            models.Index(fields=["owner", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.owner_id} {self.stage_id}: {self.count}"


class StageStatistic(models.Model):
    """How deals fared once they reached a stage, learnt from closed history: the share that
    moved on to a later stage, the share that was finally won, and the days spent in it."""

    process = models.ForeignKey(
        "opportunities.SalesProcess",
        verbose_name=_("sales process"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "salesops.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the company-wide figures."),
    )
    stage = models.ForeignKey(
        "opportunities.Stage",
        verbose_name=_("stage"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sample_size = models.PositiveIntegerField(_("deals in the sample"))
    reached_next = models.PositiveIntegerField(_("moved on"))
    won = models.PositiveIntegerField(_("won"))
    conversion_rate = models.DecimalField(_("conversion to a later stage"), **RATE)
    win_rate = models.DecimalField(_("win rate from this stage"), **RATE)
    median_days = models.DecimalField(_("median days in stage"), null=True, **DAYS)
    p80_days = models.DecimalField(_("80th percentile of days in stage"), null=True, **DAYS)
    median_days_to_close = models.DecimalField(
        _("median days from this stage to a win"), null=True, **DAYS
    )
    days_to_close = models.JSONField(
        _("days from this stage to a win"),
        default=list,
        help_text=_("Quantiles of the days from entering this stage to a win, for the model."),
    )
    life_table = models.JSONField(
        _("life table"),
        default=list,
        help_text=_(
            "[day, won, lost, still open] counts from entering the stage, for the model's "
            "chance of a win given the time already spent."
        ),
    )
    computed_on = models.DateField(_("computed on"))

    class Meta:
        verbose_name = _("stage statistic")
        verbose_name_plural = _("stage statistics")
        constraints = [
            models.UniqueConstraint(
                fields=["process", "team", "stage"],
                condition=models.Q(team__isnull=False),
                name="stage_statistic_unique_team",
            ),
            models.UniqueConstraint(
                fields=["process", "stage"],
                condition=models.Q(team__isnull=True),
                name="stage_statistic_unique_company",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage_id} ({self.team_id or 'company'})"


class RepMonth(models.Model):
    """One rep's month: what closed, how long it took, how busy they were."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    team = models.ForeignKey(
        "salesops.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    opened_count = models.PositiveIntegerField(_("deals opened"), default=0)
    won_count = models.PositiveIntegerField(_("deals won"), default=0)
    won_amount = models.DecimalField(_("amount won"), default=Decimal(0), **MONEY)
    lost_count = models.PositiveIntegerField(_("deals lost or abandoned"), default=0)
    lost_amount = models.DecimalField(_("amount lost"), default=Decimal(0), **MONEY)
    cycle_days_total = models.PositiveIntegerField(
        _("days from creation to win, summed"), default=0
    )
    activities_count = models.PositiveIntegerField(_("activities"), default=0)
    advances_count = models.PositiveIntegerField(_("stage advances"), default=0)
    stage_exits_count = models.PositiveIntegerField(
        _("deals leaving an open stage"),
        default=0,
        help_text=_("Advances plus deals lost from an open stage: the denominator of conversion."),
    )

    class Meta:
        verbose_name = _("rep month")
        verbose_name_plural = _("rep months")
        constraints = [
            models.UniqueConstraint(fields=["month", "owner", "team"], name="rep_month_unique")
        ]
        indexes = [models.Index(fields=["team", "month"])]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.month:%Y-%m}"


class ForecastRun(models.Model):
    """One forecast of the bookings of one period for one scope, made on one day by one
    method. `amount` is the headline figure; `figures` keeps its parts (for the categories:
    won so far, commit, best case, pipeline; for the model: expected, low, high). Re-running on
    the same day replaces the row."""

    method = models.CharField(_("method"), max_length=20, choices=ForecastMethod)
    scope = models.CharField(_("scope"), max_length=10, choices=ScopeKind)
    team = models.ForeignKey(
        "salesops.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rep"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    as_of = models.DateField(_("as of"))
    amount = models.DecimalField(_("forecast"), **MONEY)
    figures = models.JSONField(_("figures"), default=dict)
    target = models.DecimalField(_("target"), null=True, blank=True, **MONEY)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.UniqueConstraint(
                fields=["method", "period_kind", "period_start", "as_of"],
                condition=models.Q(scope="company"),
                name="forecast_run_unique_company",
            ),
            models.UniqueConstraint(
                fields=["method", "team", "period_kind", "period_start", "as_of"],
                condition=models.Q(scope="team"),
                name="forecast_run_unique_team",
            ),
            models.UniqueConstraint(
                fields=["method", "owner", "period_kind", "period_start", "as_of"],
                condition=models.Q(scope="rep"),
                name="forecast_run_unique_rep",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="company", team__isnull=True, owner__isnull=True)
                    | models.Q(scope="team", team__isnull=False, owner__isnull=True)
                    | models.Q(scope="rep", team__isnull=True, owner__isnull=False)
                ),
                name="forecast_run_scope_matches",
            ),
        ]
        indexes = [
            models.Index(fields=["scope", "team", "period_start", "as_of"]),
            models.Index(fields=["owner", "period_start", "as_of"]),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.scope} {self.period_start} as of {self.as_of}"


class AlertRule(models.Model):
    """One anomaly rule. The rule's logic lives in forecasting.alerts; admins edit whether it
    runs, how severe its alerts are and its thresholds (`params`, checked against the rule's
    own list of parameters)."""

    kind = models.CharField(_("rule"), max_length=30, choices=AlertKind, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity, default=Severity.WARNING
    )
    params = models.JSONField(_("thresholds"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class Alert(models.Model):
    """Something a rule found. `facts` holds the numbers; the sentence is worded when shown,
    in the reader's language. While the condition holds, a scan finds the alert again by its
    `dedup_key` instead of raising a new one; when the condition clears, the scan resolves it.
    `team` and `owner` say whose alert it is, for visibility."""

    rule = models.ForeignKey(
        AlertRule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("rule"), max_length=30, choices=AlertKind)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    subject_kind = models.CharField(_("subject"), max_length=12, choices=SubjectKind)
    opportunity = models.ForeignKey(
        "opportunities.Opportunity",
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    request = models.ForeignKey(
        "resources.ResourceRequest",
        verbose_name=_("resource request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
    )
    team = models.ForeignKey(
        "salesops.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The rep who owns the deal, the engineer, or the requester."),
    )
    dedup_key = models.CharField(_("de-duplication key"), max_length=200)
    facts = models.JSONField(_("facts"), default=dict)
    status = models.CharField(
        _("status"), max_length=12, choices=AlertStatus, default=AlertStatus.OPEN
    )
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the scan resolved it because the condition cleared."),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=~models.Q(status="resolved"),
                name="alert_one_unresolved_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["status", "team"]),
            models.Index(fields=["status", "owner"]),
            models.Index(fields=["kind", "status"]),
        ]

    def __str__(self) -> str:
        return self.dedup_key


class JobRun(models.Model):
    """A recompute started by hand from the admin pages, with its progress for the page that
    polls it. The nightly beat runs do not leave rows here."""

    kind = models.CharField(_("job"), max_length=12, choices=JobKind)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("recompute")
        verbose_name_plural = _("recomputes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.progress}%"
