"""Deal-control jobs: thin wrappers around forecasting.services, with a lock per scope.

- `recompute_snapshots` (nightly): today's funnel snapshot, the stage statistics and the rep
  months; `recompute_forecasts` after it; `scan_alerts` after that (and hourly).
- `recompute_team` (after a deal changes, debounced per team): today's snapshot of the team,
  its reps' months and forecasts, its team chain's and the company's forecasts.
- `run_job`: an admin's "recompute now", reporting its progress on its JobRun.

Every job replaces its scope's rows in one transaction, so running it twice changes nothing. A
job that finds its scope locked by another run retries later, or gives way when an equivalent
run is already queued behind it.
"""

import datetime
import logging
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from . import services
from .choices import JobStatus
from .locks import ScopeLocked, scope_lock
from .models import JobRun, RepMonth

logger = logging.getLogger(__name__)

MAX_RETRIES = 20
PENDING = "forecasting:pending:"


def snapshots_scope(day) -> str:
    return f"snapshots:{day.isoformat()}"


def forecasts_scope(day) -> str:
    return f"forecasts:{day.isoformat()}"


STATISTICS_SCOPE = "statistics"
REP_MONTHS_SCOPE = "rep-months"
ALERTS_SCOPE = "alerts"


def team_pending_key(team_id: int) -> str:
    return f"{PENDING}team:{team_id}"


def alert_pending_key(opportunity_id: int) -> str:
    return f"{PENDING}alerts:{opportunity_id}"


def _retry_later(task, scope: str):
    """Retry with a growing delay; a run that never gets the scope fails loudly."""
    logger.info("%s: %s is locked, retrying later", task.name, scope)
    countdown = settings.FORECASTING_RETRY_SECONDS * (task.request.retries + 1)
    return task.retry(countdown=countdown, max_retries=MAX_RETRIES)


def _day(value) -> datetime.date:
    return parse_date(value) if isinstance(value, str) else (value or timezone.localdate())


# Scheduled by beat -------------------------------------------------------------------------


@shared_task(bind=True, acks_late=True, soft_time_limit=3000, time_limit=3300)
def recompute_snapshots(self, *, day: str | None = None) -> dict:
    """Nightly: the funnel snapshot of the day (today by default), the stage statistics from
    the whole history, and the rep months of this month and the last."""
    day = _day(day)
    scope = snapshots_scope(day)
    try:
        with scope_lock(scope):
            snapshots = services.snapshots_recompute(day=day)
        scope = STATISTICS_SCOPE
        with scope_lock(scope):
            statistics = services.statistics_recompute()
        scope = REP_MONTHS_SCOPE
        with scope_lock(scope):
            rep_months = services.rep_months_recompute()
    except ScopeLocked:
        raise _retry_later(self, scope) from None
    return {"snapshots": snapshots, "statistics": statistics, "rep_months": rep_months}


@shared_task(bind=True, acks_late=True, soft_time_limit=3000, time_limit=3300)
def recompute_forecasts(self, *, as_of: str | None = None) -> dict:
    """Nightly, after the statistics: every scope's forecasts as of the day."""
    as_of = _day(as_of)
    try:
        with scope_lock(forecasts_scope(as_of)):
            return {"forecasts": services.forecasts_recompute(as_of=as_of)}
    except ScopeLocked:
        raise _retry_later(self, forecasts_scope(as_of)) from None


@shared_task(bind=True, acks_late=True, soft_time_limit=1800, time_limit=2000)
def scan_alerts(self, *, opportunity_ids: list[int] | None = None) -> dict:
    """Run the alert rules, on some deals or everything (nightly and hourly)."""
    from .alerts import alerts_scan  # the scanner enqueues nothing, but imports services

    for opportunity_id in opportunity_ids or []:
        cache.delete(alert_pending_key(opportunity_id))
    try:
        with scope_lock(ALERTS_SCOPE):
            return alerts_scan(opportunity_ids=opportunity_ids)
    except ScopeLocked:
        raise _retry_later(self, ALERTS_SCOPE) from None


# After a deal changes ----------------------------------------------------------------------


def schedule_team_recompute(*, team_id: int) -> bool:
    """Queue one recompute of the team unless one is already waiting: every change made
    before it starts is included in it. Returns whether a run was queued."""
    token = uuid.uuid4().hex
    debounce = settings.FORECASTING_DEBOUNCE_SECONDS
    if not cache.add(
        team_pending_key(team_id), token, debounce + settings.FORECASTING_LOCK_SECONDS
    ):
        return False
    try:
        recompute_team.apply_async(kwargs={"team_id": team_id, "token": token}, countdown=debounce)
    except OperationalError:
        # The broker is unreachable. The change is saved and tonight's run catches up; let
        # the next change try again.
        cache.delete(team_pending_key(team_id))
        logger.exception("Could not queue the recompute of team %s", team_id)
        return False
    return True


def schedule_alert_scan(*, opportunity_id: int) -> bool:
    debounce = settings.FORECASTING_DEBOUNCE_SECONDS
    key = alert_pending_key(opportunity_id)
    if not cache.add(key, True, debounce + settings.FORECASTING_LOCK_SECONDS):
        return False
    try:
        scan_alerts.apply_async(kwargs={"opportunity_ids": [opportunity_id]}, countdown=debounce)
    except OperationalError:
        cache.delete(key)
        logger.exception("Could not queue the alert scan of opportunity %s", opportunity_id)
        return False
    return True


@shared_task(bind=True, acks_late=True, soft_time_limit=900, time_limit=1000)
def recompute_team(self, *, team_id: int, token: str = "") -> dict:
    """Today's figures that a change in the team's deals moves: the team's funnel snapshot,
    its reps' months, and the forecasts of its reps, its team chain and the company."""
    key = team_pending_key(team_id)
    if cache.get(key) == token:
        cache.delete(key)  # this run starts: a change from now on queues the next one
    today = timezone.localdate()
    scopes = services.forecast_scopes_for_team(team_id)
    reps = [scope.id for scope in scopes if scope.kind == "rep"]
    reps += list(
        RepMonth.objects.filter(team_id=team_id).values_list("owner_id", flat=True).distinct()
    )
    scope = snapshots_scope(today)
    try:
        with scope_lock(scope):
            snapshots = services.snapshots_recompute(day=today, team_ids=[team_id])
        scope = REP_MONTHS_SCOPE
        with scope_lock(scope):
            rep_months = services.rep_months_recompute(owner_ids=sorted(set(reps)))
        scope = forecasts_scope(today)
        with scope_lock(scope):
            forecasts = services.forecasts_recompute(as_of=today, scopes=scopes)
    except ScopeLocked:
        if cache.get(key) is not None:
            # A newer run for this team is queued behind us and will do the same work.
            return {"skipped": scope}
        raise _retry_later(self, scope) from None
    return {"snapshots": snapshots, "rep_months": rep_months, "forecasts": forecasts}


# Recompute now ----------------------------------------------------------------------------


def _step_scope(step: str) -> str:
    today = timezone.localdate()
    return {
        "snapshots": snapshots_scope(today),
        "statistics": STATISTICS_SCOPE,
        "rep_months": REP_MONTHS_SCOPE,
        "forecasts": forecasts_scope(today),
        "alerts": ALERTS_SCOPE,
    }[step]


@shared_task(bind=True, acks_late=True, soft_time_limit=3300, time_limit=3600)
def run_job(self, *, job_id: int) -> str:
    """Run an admin's recompute step by step, saving the progress after each step. A step
    whose scope another run holds waits for it (the steps already done are redone: they
    replace their own rows)."""
    job = JobRun.objects.filter(pk=job_id).first()
    if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
        return job.status if job else "missing"
    steps = services.JOB_STEPS[job.kind]
    step = steps[0]
    try:
        for index, step in enumerate(steps):
            services.job_run_progress(job_id=job_id, done_steps=index, step=step)
            with scope_lock(_step_scope(step)):
                services.job_step_run(step)
    except ScopeLocked:
        if self.request.retries >= MAX_RETRIES:
            services.job_run_finish(
                job_id=job_id,
                error=_("Another recompute kept “%(step)s” busy; try again later.")
                % {"step": services.STEP_LABELS[step]},
            )
            return JobStatus.FAILED
        raise _retry_later(self, _step_scope(step)) from None
    except Exception as error:
        logger.exception("Recompute %s failed in step %s", job_id, step)
        services.job_run_finish(job_id=job_id, error=f"{step}: {error}")
        return JobStatus.FAILED
    services.job_run_finish(job_id=job_id)
    return JobStatus.DONE
