from django.db import models
from django.utils.translation import gettext_lazy as _


class ForecastMethod(models.TextChoices):
    STAGE_WEIGHTED = "stage_weighted", _("Stage-weighted pipeline")
    HISTORICAL = "historical", _("Historical model")
    CATEGORY = "category", _("Reps' categories")


class ScopeKind(models.TextChoices):
    COMPANY = "company", _("Company")
    TEAM = "team", _("Team")
    REP = "rep", _("Rep")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class AlertKind(models.TextChoices):
    STALLED = "stalled", _("Stalled in stage")
    STAGE_GAP = "stage_gap", _("Sales stage out of step with the customer")
    STAGE_SKIPPED = "stage_skipped", _("Stage skipped without override")
    CLOSE_DATE_SLIPPING = "close_date_slipping", _("Close date slipping or past due")
    AMOUNT_DROPPED = "amount_dropped", _("Amount dropped")
    NO_ACTIVITY = "no_activity", _("No recent activity")
    SINGLE_THREADED = "single_threaded", _("Single-threaded decision chain")
    NO_PRESALES = "no_presales", _("Big deal without presales")
    REQUEST_WAITING = "request_waiting", _("Resource request waiting beyond SLA")
    ENGINEER_OVERBOOKED = "engineer_overbooked", _("Engineer over-booked")
    FORECAST_BELOW_TARGET = "forecast_below_target", _("Forecast below target")


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class SubjectKind(models.TextChoices):
    OPPORTUNITY = "opportunity", _("Opportunity")
    REP = "rep", _("Rep")
    TEAM = "team", _("Team")
    REQUEST = "request", _("Resource request")
    ENGINEER = "engineer", _("Engineer")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class JobKind(models.TextChoices):
    SNAPSHOTS = "snapshots", _("Funnel snapshots and statistics")
    FORECASTS = "forecasts", _("Forecasts")
    ALERTS = "alerts", _("Alert scan")
    ALL = "all", _("Everything")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
