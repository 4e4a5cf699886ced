"""The jobs: the recompute after a deal changes, locks, the beat schedule and the admins'
"recompute now"."""

from decimal import Decimal

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.utils import timezone

from forecasting import services, tasks
from forecasting.locks import ScopeLocked, scope_lock
from forecasting.models import ForecastRun, FunnelSnapshot, JobRun, StageStatistic
from forecasting.periods import MONTH, period_start
from opportunities import services as deal_services
from salesops.exceptions import PermissionRefused

pytestmark = pytest.mark.django_db


def month_forecast(today, **scope) -> Decimal:
    kind = "rep" if "owner" in scope else "team" if "team" in scope else "company"
    return ForecastRun.objects.get(
        method="stage_weighted",
        scope=kind,
        period_kind="month",
        period_start=period_start(MONTH, today),
        as_of=today,
        **scope,
    ).amount


def snapshot_cells(today):
    return set(
        FunnelSnapshot.objects.filter(day=today).values_list(
            "team", "owner", "stage__code", "count", "amount", "weighted_amount"
        )
    )


@pytest.fixture
def new_deal(org, pipeline, account, django_capture_on_commit_callbacks):
    """A 500,000 deal of rep1 closing today, created through the services with its
    after-commit work run (eager Celery runs the recompute at once)."""
    with django_capture_on_commit_callbacks(execute=True):
        return deal_services.opportunity_create(
            by=org.rep1,
            account=account,
            name="MES rollout",
            amount=Decimal("500000"),
            expected_close_date=timezone.localdate(),
            process=pipeline.process,
        )


def test_a_deal_change_recomputes_todays_snapshot_and_forecasts(
    org, pipeline, new_deal, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    assert snapshot_cells(today) == {
        (org.shanghai.pk, org.rep1.pk, "first", 1, Decimal("500000.00"), Decimal("50000.00"))
    }
    assert month_forecast(today, owner=org.rep1) == Decimal("50000.00")

    deal_services.milestone_check(
        opportunity=new_deal, milestone=pipeline.need, by=org.rep1, note="Pain confirmed"
    )
    # The customer moves on too, so the deal's probability becomes the second stage's 40 %.
    with django_capture_on_commit_callbacks(execute=True):
        deal = deal_services.opportunity_update(
            opportunity=new_deal, by=org.rep1, version=new_deal.version, customer_stage="second"
        )
        deal_services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)

    assert snapshot_cells(today) == {
        (org.shanghai.pk, org.rep1.pk, "second", 1, Decimal("500000.00"), Decimal("200000.00"))
    }
    assert month_forecast(today, owner=org.rep1) == Decimal("200000.00")
    assert month_forecast(today, team=org.shanghai) == Decimal("200000.00")
    assert month_forecast(today, team=org.east) == Decimal("200000.00")
    assert month_forecast(today) == Decimal("200000.00")
    # The run took its pending marker with it: the next change queues a new one.
    assert cache.get(tasks.team_pending_key(org.shanghai.pk)) is None


def test_reassigning_to_another_team_recomputes_both_teams(
    org, new_deal, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.opportunity_reassign(
            opportunity=new_deal,
            by=org.manager_east,
            owner=org.rep3,
            version=new_deal.version,
            reason="Moves to Jiangsu",
        )

    assert snapshot_cells(today) == {
        (org.jiangsu.pk, org.rep3.pk, "first", 1, Decimal("500000.00"), Decimal("50000.00"))
    }
    assert month_forecast(today, owner=org.rep1) == Decimal("0.00")
    assert month_forecast(today, team=org.shanghai) == Decimal("0.00")
    assert month_forecast(today, owner=org.rep3) == Decimal("50000.00")
    assert month_forecast(today, team=org.jiangsu) == Decimal("50000.00")


def test_changes_while_a_run_is_pending_queue_nothing_more(org, new_deal, monkeypatch):
    queued = []
    monkeypatch.setattr(
        tasks.recompute_team, "apply_async", lambda **options: queued.append(options)
    )
    assert tasks.schedule_team_recompute(team_id=org.shanghai.pk) is True
    assert tasks.schedule_team_recompute(team_id=org.shanghai.pk) is False
    assert tasks.schedule_team_recompute(team_id=org.jiangsu.pk) is True
    assert [options["kwargs"]["team_id"] for options in queued] == [
        org.shanghai.pk,
        org.jiangsu.pk,
    ]
    assert queued[0]["countdown"] == 60  # FORECASTING_DEBOUNCE_SECONDS


def test_a_scope_lock_is_held_once_and_released(org):
    with scope_lock("forecasts:2027-02-10"):
        with pytest.raises(ScopeLocked), scope_lock("forecasts:2027-02-10"):
            pass  # pragma: no cover - never entered
        with scope_lock("forecasts:2027-02-11"):
            pass  # another scope is free
    with scope_lock("forecasts:2027-02-10"):
        pass  # released


def test_a_job_finding_its_scope_locked_retries_and_writes_nothing(org, new_deal):
    today = timezone.localdate()
    FunnelSnapshot.objects.all().delete()
    with scope_lock(tasks.snapshots_scope(today)):
        # A worker would run it again later; eager Celery hands the retry to the caller.
        with pytest.raises(Retry):
            tasks.recompute_snapshots.delay()
        assert not FunnelSnapshot.objects.exists()
    assert tasks.recompute_snapshots.delay().get()["snapshots"] == 1
    assert FunnelSnapshot.objects.count() == 1


def test_a_team_run_gives_way_to_a_newer_queued_one(org, new_deal):
    today = timezone.localdate()
    FunnelSnapshot.objects.all().delete()
    cache.set(tasks.team_pending_key(org.shanghai.pk), "newer")
    with scope_lock(tasks.snapshots_scope(today)):
        result = tasks.recompute_team.delay(team_id=org.shanghai.pk, token="older").get()
    assert result == {"skipped": tasks.snapshots_scope(today)}
    assert not FunnelSnapshot.objects.exists()
    # The newer run does the work and clears its marker.
    result = tasks.recompute_team.delay(team_id=org.shanghai.pk, token="newer").get()
    assert result["snapshots"] == 1
    assert cache.get(tasks.team_pending_key(org.shanghai.pk)) is None


def test_nightly_jobs_are_idempotent(org, new_deal):
    today = timezone.localdate()
    tasks.recompute_snapshots.delay().get()
    tasks.recompute_forecasts.delay().get()
    snapshots = snapshot_cells(today)
    forecasts = sorted(
        ForecastRun.objects.values_list(
            "method", "scope", "team", "owner", "period_start", "amount"
        ),
        key=str,
    )

    tasks.recompute_snapshots.delay().get()
    tasks.recompute_forecasts.delay(as_of=today.isoformat()).get()

    assert snapshot_cells(today) == snapshots
    assert (
        sorted(
            ForecastRun.objects.values_list(
                "method", "scope", "team", "owner", "period_start", "amount"
            ),
            key=str,
        )
        == forecasts
    )


def test_beat_runs_the_nightly_jobs_in_order(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    names = ["forecasting-snapshots", "forecasting-forecasts", "forecasting-alerts"]
    assert [schedule[name]["task"] for name in names] == [
        tasks.recompute_snapshots.name,
        tasks.recompute_forecasts.name,
        tasks.scan_alerts.name,
    ]
    times = [
        (min(schedule[name]["schedule"].hour), min(schedule[name]["schedule"].minute))
        for name in names
    ]
    assert times == sorted(times)


# Recompute now ----------------------------------------------------------------------------


def test_recompute_now_runs_every_step_and_reaches_100(
    org, histories, monkeypatch, django_capture_on_commit_callbacks
):
    seen = []
    run_step = services.job_step_run

    def recording(step):
        job = JobRun.objects.get()
        seen.append((job.status, job.step, job.progress))
        if step != "alerts":  # the alert scan is tested with the alerts
            run_step(step)

    monkeypatch.setattr(services, "job_step_run", recording)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_run_start(kind="all", by=org.admin)

    assert seen == [
        ("running", "snapshots", 0),
        ("running", "statistics", 20),
        ("running", "rep_months", 40),
        ("running", "forecasts", 60),
        ("running", "alerts", 80),
    ]
    job.refresh_from_db()
    assert (job.status, job.progress, job.step, job.error) == ("done", 100, "done", "")
    assert job.finished_at is not None and job.started_by == org.admin
    # D and E are open in first and second; the histories give 11 statistics rows.
    assert FunnelSnapshot.objects.filter(day=timezone.localdate()).count() == 2
    assert StageStatistic.objects.count() == 11
    assert ForecastRun.objects.filter(as_of=timezone.localdate()).exists()


def test_a_failing_step_fails_the_run_with_its_error(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    def failing(step):
        if step == "forecasts":
            raise RuntimeError("database went away")

    monkeypatch.setattr(services, "job_step_run", failing)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_run_start(kind="all", by=org.admin)

    job.refresh_from_db()
    assert (job.status, job.progress, job.step) == ("failed", 60, "forecasts")
    assert job.error == "forecasts: database went away"
    assert job.finished_at is not None


def test_only_admins_start_a_recompute_and_a_queued_one_is_not_doubled(
    org, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionRefused):
        services.job_run_start(kind="forecasts", by=org.manager_east)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.job_run_start(kind="forecasts", by=org.admin)
        again = services.job_run_start(kind="forecasts", by=org.admin)
    assert again.pk == job.pk and len(callbacks) == 1
    assert (job.status, job.progress) == ("queued", 0)
    other = services.job_run_start(kind="snapshots", by=org.admin)
    assert other.pk != job.pk


def test_run_job_does_nothing_for_a_finished_run(org):
    job = JobRun.objects.create(kind="forecasts", status="done", progress=100)
    assert tasks.run_job.delay(job_id=job.pk).get() == "done"
    assert not ForecastRun.objects.exists()
    job.refresh_from_db()
    assert job.finished_at is None
