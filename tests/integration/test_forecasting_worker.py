"""The deal-control jobs run by a real Celery worker on PostgreSQL and Redis: the nightly
snapshots, forecasts and alert scan, and a team recompute that gives way when the scope is
locked by another process (the lock lives in Redis, shared by every worker)."""

import datetime
import os
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from forecasting import services, tasks
from forecasting.locks import scope_lock
from forecasting.models import ForecastRun, FunnelSnapshot, StageStatistic
from forecasting.periods import MONTH, period_start
from opportunities.models import Opportunity, OpportunityChange, StageChange

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _at(days_ago: int) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def _deal(org, pipeline, account, owner, amount, moves, *, won_days_ago=None):
    """A deal written as the services would have left it, without announcing it (the worker
    under test consumes its own queue only)."""
    stage, entered = moves[-1]
    deal = Opportunity.objects.create(
        account=account,
        name=f"Deal {len(moves)} {amount}",
        owner=owner,
        team_id=owner.team_id,
        process=pipeline.process,
        stage=pipeline.signed if won_days_ago else stage,
        customer_stage=pipeline.signed if won_days_ago else stage,
        status="won" if won_days_ago else "open",
        amount=Decimal(amount),
        expected_close_date=timezone.localdate(),
        probability=100 if won_days_ago else stage.probability,
        created_at=_at(moves[0][1]),
        stage_entered_at=_at(won_days_ago or entered),
        closed_on=_at(won_days_ago).date() if won_days_ago else None,
    )
    previous = None
    for index, (to_stage, days_ago) in enumerate(moves):
        StageChange.objects.create(
            opportunity=deal,
            kind="created" if index == 0 else "advance",
            from_stage=previous,
            to_stage=to_stage,
            status="open",
            changed_at=_at(days_ago),
        )
        previous = to_stage
    if won_days_ago:
        StageChange.objects.create(
            opportunity=deal,
            kind="won",
            from_stage=previous,
            to_stage=pipeline.signed,
            status="won",
            changed_at=_at(won_days_ago),
        )
    return deal


@pytest.fixture
def pipeline_world(org, pipeline, account):
    _deal(
        org,
        pipeline,
        account,
        org.rep1,
        "100000",
        [(pipeline.first, 60), (pipeline.second, 50)],
        won_days_ago=40,
    )
    open_deal = _deal(org, pipeline, account, org.rep1, "500000", [(pipeline.first, 20)])
    OpportunityChange.objects.create(
        opportunity=open_deal,
        field="amount",
        old_value="300000.00",
        new_value="500000.00",
        changed_at=_at(10),
    )
    return open_deal


def test_nightly_jobs_run_in_the_worker(celery_worker, real_broker, org, pipeline, pipeline_world):
    assert connection.vendor == "postgresql"
    today = timezone.localdate()

    snapshots = tasks.recompute_snapshots.apply_async(queue=celery_worker.queue)
    assert snapshots.get(timeout=120)["snapshots"] == 1
    forecasts = tasks.recompute_forecasts.apply_async(queue=celery_worker.queue)
    assert forecasts.get(timeout=120)["forecasts"] > 0
    alerts = tasks.scan_alerts.apply_async(queue=celery_worker.queue)
    assert set(alerts.get(timeout=120)) >= {"opened", "kept", "resolved"}

    cell = FunnelSnapshot.objects.get(day=today)
    assert (cell.stage, cell.count, cell.amount, cell.weighted_amount) == (
        pipeline.first,
        1,
        Decimal("500000.00"),
        Decimal("50000.00"),
    )
    # The won deal taught the statistics that "first" converts and wins.
    first = StageStatistic.objects.get(team=None, stage=pipeline.first)
    assert (first.sample_size, first.won, first.win_rate) == (1, 1, Decimal("1.0000"))
    assert ForecastRun.objects.filter(as_of=today, scope="rep", owner=org.rep1).count() == 15
    log = celery_worker.log.read_text()
    assert snapshots.id in log and forecasts.id in log and alerts.id in log
    assert celery_worker.pid != os.getpid()

    # Again: the same rows, nothing added.
    counts = (FunnelSnapshot.objects.count(), ForecastRun.objects.count())
    tasks.recompute_snapshots.apply_async(queue=celery_worker.queue).get(timeout=120)
    tasks.recompute_forecasts.apply_async(queue=celery_worker.queue).get(timeout=120)
    assert (FunnelSnapshot.objects.count(), ForecastRun.objects.count()) == counts


def test_a_team_run_in_the_worker_gives_way_to_a_lock_held_elsewhere(
    celery_worker, real_broker, org, pipeline_world
):
    today = timezone.localdate()
    key = tasks.team_pending_key(org.shanghai.pk)
    cache.set(key, "newer", 300)
    try:
        with scope_lock(tasks.snapshots_scope(today)):
            result = tasks.recompute_team.apply_async(
                kwargs={"team_id": org.shanghai.pk, "token": "older"}, queue=celery_worker.queue
            )
            assert result.get(timeout=120) == {"skipped": tasks.snapshots_scope(today)}
        assert not FunnelSnapshot.objects.exists()

        result = tasks.recompute_team.apply_async(
            kwargs={"team_id": org.shanghai.pk, "token": "newer"}, queue=celery_worker.queue
        )
        assert result.get(timeout=120)["snapshots"] == 1
        assert cache.get(key) is None
    finally:
        cache.delete(key)
    forecast = ForecastRun.objects.get(
        method="stage_weighted",
        scope="rep",
        owner=org.rep1,
        period_kind="month",
        period_start=period_start(MONTH, today),
        as_of=today,
    )
    # The open deal: 500,000 x 10 %, closing today (the win was in an earlier month).
    assert forecast.amount == Decimal("50000.00")


def test_past_days_are_rebuilt_on_postgresql(org, pipeline, pipeline_world):
    day = timezone.localdate() - datetime.timedelta(days=15)
    assert services.snapshots_recompute(day=day) == 1
    cell = FunnelSnapshot.objects.get(day=day)
    assert (cell.amount, cell.weighted_amount) == (Decimal("300000.00"), Decimal("30000.00"))
    as_of = timezone.localdate() - datetime.timedelta(days=15)
    assert services.forecasts_recompute(as_of=as_of, reconstruct=True) > 0
