"""The history backfill: past daily snapshots and forecasts as of the first day of each past
month, rebuilt from the stage and field history."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import services
from forecasting.models import ForecastRun, FunnelSnapshot, RepMonth, StageStatistic
from forecasting.periods import add_months, month_start, month_starts

from .conftest import noon, track

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_backfill_rebuilds_past_snapshots_and_forecasts(org, pipeline, history_deal, histories):
    today = timezone.localdate()
    # The latest first of a month before today: the backfill's last past forecast.
    month = month_start(today) if today.day > 1 else add_months(month_start(today), -1)
    # rep2's deal, as it stood that morning: 200,000 closing five days into the month. Its
    # amount and close date changed at noon that day.
    deal = history_deal(
        org.rep2,
        "300000",
        [("first", month - 10 * DAY)],
        expected_close_date=month + 60 * DAY,
        at=noon,
    )
    track(deal, "amount", "200000.00", "300000.00", noon(month))
    track(deal, "expected_close_date", month + 5 * DAY, month + 60 * DAY, noon(month))

    result = services.history_backfill(days=40)

    # D (or F) was open on each of the 41 days.
    days = set(FunnelSnapshot.objects.values_list("day", flat=True))
    assert days == {today - offset * DAY for offset in range(41)}
    past = FunnelSnapshot.objects.get(day=today - 35 * DAY, owner=org.rep1)
    assert (past.stage, past.amount, past.weighted_amount) == (
        pipeline.first,
        Decimal("150000.00"),
        Decimal("15000.00"),
    )
    expected_days = {m for m in month_starts(today - 40 * DAY, today) if m >= today - 40 * DAY}
    expected_days = {m for m in expected_days if m < today} | {today}
    assert set(ForecastRun.objects.values_list("as_of", flat=True)) == expected_days
    assert result["forecast_days"] == len(expected_days)

    forecast = ForecastRun.objects.get(
        method="stage_weighted",
        scope="rep",
        owner=org.rep2,
        period_kind="month",
        period_start=month,
        as_of=month,
    )
    assert forecast.amount == Decimal("20000.00")  # 200,000 x 10 %, nothing booked yet
    today_run = ForecastRun.objects.get(
        method="stage_weighted",
        scope="rep",
        owner=org.rep2,
        period_kind="month",
        period_start=month_start(today),
        as_of=today,
    )
    # Today it closes two months later: outside this month.
    assert today_run.amount == Decimal("0.00")
    assert StageStatistic.objects.count() == 11
    assert RepMonth.objects.filter(owner=org.rep2).exists()

    counts = (FunnelSnapshot.objects.count(), ForecastRun.objects.count(), RepMonth.objects.count())
    services.history_backfill(days=40)
    assert counts == (
        FunnelSnapshot.objects.count(),
        ForecastRun.objects.count(),
        RepMonth.objects.count(),
    )


def test_past_forecasts_are_calibrated_on_the_history_known_then(org, pipeline, histories):
    """F was won 30 days ago: a forecast made before that knows only A's win from "second"."""
    today = timezone.localdate()
    before = services.statistics.calibrate_groups(
        services.statistics.deal_histories(before=noon(today - 31 * DAY)),
        services.statistics.team_chains(),
    )
    now = services.statistics.calibrate_groups(
        services.statistics.deal_histories(), services.statistics.team_chains()
    )
    key = (pipeline.process.pk, None)
    assert before[key][pipeline.second.pk].won == 1
    assert now[key][pipeline.second.pk].won == 2
