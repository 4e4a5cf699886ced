"""Funnel snapshots (today's and a reconstructed past day's) and rep months."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import services
from forecasting.models import FunnelSnapshot, RepMonth
from opportunities.models import Activity, Opportunity

from .conftest import noon

pytestmark = pytest.mark.django_db

D = datetime.date


def cells(day) -> dict:
    return {
        (row.team_id, row.owner_id, row.stage_id): (row.count, row.amount, row.weighted_amount)
        for row in FunnelSnapshot.objects.filter(day=day)
    }


@pytest.fixture
def open_deals(org, history_deal, histories):
    """Open now: D (rep1, second, 200,000 at 35 %), E (rep1, first, 100,000 at 10 %), and:"""
    history_deal(org.rep1, "300000", [("first", 3)])
    history_deal(org.rep3, "50000", [("first", 5)])
    return histories


def test_todays_snapshot_counts_open_deals_per_team_rep_and_stage(org, pipeline, open_deals):
    today = timezone.localdate()

    assert services.snapshots_recompute() == 3

    assert cells(today) == {
        (org.shanghai.pk, org.rep1.pk, pipeline.first.pk): (
            2,
            Decimal("400000.00"),
            Decimal("40000.00"),
        ),
        # The deal's own probability (a manager's 35 %), not the stage's 40 %.
        (org.shanghai.pk, org.rep1.pk, pipeline.second.pk): (
            1,
            Decimal("200000.00"),
            Decimal("70000.00"),
        ),
        (org.jiangsu.pk, org.rep3.pk, pipeline.first.pk): (
            1,
            Decimal("50000.00"),
            Decimal("5000.00"),
        ),
    }
    assert FunnelSnapshot.objects.get(stage=pipeline.second).process == pipeline.process


def test_a_past_day_is_rebuilt_from_the_stage_and_field_history(org, pipeline, open_deals):
    day = timezone.localdate() - datetime.timedelta(days=35)

    assert services.snapshots_recompute(day=day) == 2

    # D was still in "first" at 150,000 and 10 %; F (won since) was open in "second" at 40 %.
    # A, B and C were closed by then, E and the two others did not exist yet.
    assert cells(day) == {
        (org.shanghai.pk, org.rep1.pk, pipeline.first.pk): (
            1,
            Decimal("150000.00"),
            Decimal("15000.00"),
        ),
        (org.jiangsu.pk, org.rep3.pk, pipeline.second.pk): (
            1,
            Decimal("80000.00"),
            Decimal("32000.00"),
        ),
    }


def test_recompute_is_idempotent_and_a_team_run_replaces_only_that_team(org, pipeline, open_deals):
    today = timezone.localdate()
    services.snapshots_recompute()
    before = cells(today)

    services.snapshots_recompute()
    assert cells(today) == before
    assert FunnelSnapshot.objects.count() == 3
    shanghai_pks = set(
        FunnelSnapshot.objects.filter(team=org.shanghai).values_list("pk", flat=True)
    )

    jiangsu_deal = Opportunity.objects.get(team=org.jiangsu, status="open")
    jiangsu_deal.amount = Decimal("70000")
    jiangsu_deal.save(update_fields=["amount"])
    services.snapshots_recompute(team_ids=[org.jiangsu.pk])

    after = cells(today)
    assert after[(org.jiangsu.pk, org.rep3.pk, pipeline.first.pk)] == (
        1,
        Decimal("70000.00"),
        Decimal("7000.00"),
    )
    # Shanghai's rows were left alone: the same rows, the same numbers.
    assert (
        set(FunnelSnapshot.objects.filter(team=org.shanghai).values_list("pk", flat=True))
        == shanghai_pks
    )
    assert {key: value for key, value in after.items() if key[0] == org.shanghai.pk} == {
        key: value for key, value in before.items() if key[0] == org.shanghai.pk
    }


def test_rep_months_count_closes_cycle_activities_and_advances(org, history_deal):
    march = D(2026, 3, 1)
    won = history_deal(
        org.rep1,
        "100000",
        [("first", D(2026, 3, 2)), ("second", D(2026, 3, 5))],
        outcome="won",
        outcome_days_ago=D(2026, 3, 20),
        at=noon,
    )
    history_deal(
        org.rep1,
        "50000",
        [("first", D(2026, 3, 3))],
        outcome="lost",
        outcome_days_ago=D(2026, 3, 10),
        at=noon,
    )
    # Opened in February, advanced in March.
    history_deal(org.rep1, "10000", [("first", D(2026, 2, 20)), ("second", D(2026, 3, 4))], at=noon)
    history_deal(
        org.rep3,
        "20000",
        [("first", D(2026, 3, 1)), ("second", D(2026, 3, 2)), ("third", D(2026, 3, 3))],
        at=noon,
    )
    for owner, day in [(org.rep1, D(2026, 3, 6)), (org.manager_shanghai, D(2026, 3, 7))]:
        Activity.objects.create(
            opportunity=won, kind="call", occurred_on=day, subject="Call", owner=owner
        )
    Activity.objects.create(
        opportunity=won, kind="call", occurred_on=D(2026, 4, 1), subject="Later", owner=org.rep1
    )

    assert services.rep_months_recompute(months=[march]) == 2

    rep1 = RepMonth.objects.get(month=march, owner=org.rep1)
    assert rep1.team == org.shanghai
    assert (rep1.opened_count, rep1.won_count, rep1.won_amount) == (2, 1, Decimal("100000.00"))
    assert (rep1.lost_count, rep1.lost_amount) == (1, Decimal("50000.00"))
    assert rep1.cycle_days_total == 18  # created 2 March, won 20 March
    assert rep1.activities_count == 1  # the manager's call is not the rep's
    assert (rep1.advances_count, rep1.stage_exits_count) == (3, 4)
    rep3 = RepMonth.objects.get(month=march, owner=org.rep3)
    assert (rep3.opened_count, rep3.advances_count, rep3.stage_exits_count) == (1, 2, 2)

    # Again, and for one rep only: the same rows, nothing added.
    services.rep_months_recompute(months=[march])
    services.rep_months_recompute(months=[march], owner_ids=[org.rep3.pk])
    assert RepMonth.objects.count() == 2
    assert RepMonth.objects.get(month=march, owner=org.rep1).stage_exits_count == 4
