"""Forecasts as of 10 February 2027 for February, March and April and for Q1 and Q2, by the
three methods, per rep, team subtree and company, with the targets.

    won   W1 rep1 100,000 on 3 Feb; W2 rep1 50,000 on 20 Jan; W3 rep3 30,000 on 12 Feb (later)
    open  O1 rep1  second 200,000 40 % closes 20 Feb commit     in the stage since 10 Feb
          O2 rep1  first  100,000 10 % closes 15 Mar best case  since 31 Jan
          O3 rep2  third  400,000 50 % closes 10 Apr pipeline   since  1 Feb
          O4 rep3  second  80,000 40 % closes 28 Feb omitted    since 10 Feb (Jiangsu)
          O5 rep1  first   60,000 10 % closed 31 Jan (overdue) commit, since 1 Oct 2026
    model first:  win rate 20 %, days to close 5, 15, 40, 60
          second: win rate 50 %, days to close 0, 10, 30, 100
          third:  none (falls back to the stage-weighted rule)
"""

import datetime
from decimal import Decimal

import pytest

from forecasting import services
from forecasting.models import ForecastRun, StageStatistic
from salesops.models import Target

from .conftest import noon

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2027, 2, 10)
FEB, MAR, APR, Q1, Q2 = D(2027, 2, 1), D(2027, 3, 1), D(2027, 4, 1), D(2027, 1, 1), D(2027, 4, 1)


@pytest.fixture
def world(org, pipeline, history_deal):
    def won(owner, amount, entered, closed):
        return history_deal(
            owner, amount, [("first", entered)], outcome="won", outcome_days_ago=closed, at=noon
        )

    def deal(owner, amount, moves, probability, close, category):
        return history_deal(
            owner,
            amount,
            moves,
            probability=probability,
            expected_close_date=close,
            forecast_category=category,
            at=noon,
        )

    won(org.rep1, "100000", D(2027, 1, 10), D(2027, 2, 3))
    won(org.rep1, "50000", D(2027, 1, 5), D(2027, 1, 20))
    won(org.rep3, "30000", D(2027, 1, 5), D(2027, 2, 12))
    deals = {
        "o1": deal(
            org.rep1,
            "200000",
            [("first", D(2027, 1, 20)), ("second", D(2027, 2, 10))],
            40,
            D(2027, 2, 20),
            "commit",
        ),
        "o2": deal(
            org.rep1, "100000", [("first", D(2027, 1, 31))], 10, D(2027, 3, 15), "best_case"
        ),
        "o3": deal(org.rep2, "400000", [("third", D(2027, 2, 1))], 50, D(2027, 4, 10), "pipeline"),
        "o4": deal(org.rep3, "80000", [("second", D(2027, 2, 10))], 40, D(2027, 2, 28), "omitted"),
        "o5": deal(org.rep1, "60000", [("first", D(2026, 10, 1))], 10, D(2027, 1, 31), "commit"),
    }
    for stage, win_rate, points in [
        (pipeline.first, "0.2", [5, 15, 40, 60]),
        (pipeline.second, "0.5", [0, 10, 30, 100]),
    ]:
        StageStatistic.objects.create(
            process=pipeline.process,
            stage=stage,
            sample_size=30,
            reached_next=15,
            won=6,
            conversion_rate=Decimal("0.5"),
            win_rate=Decimal(win_rate),
            days_to_close=points,
            computed_on=AS_OF,
        )
    for subject, month, amount in [
        ({"user": org.rep1}, FEB, 120000),
        ({"user": org.rep1}, MAR, 80000),
        ({"user": org.rep2}, FEB, 50000),
        ({"user": org.rep3}, FEB, 40000),
        ({"team": org.shanghai}, FEB, 300000),
    ]:
        Target.objects.create(month=month, amount=Decimal(amount), **subject)
    return deals


def run(method, kind, start, *, team=None, owner=None) -> ForecastRun:
    scope = "team" if team else "rep" if owner else "company"
    return ForecastRun.objects.get(
        method=method,
        scope=scope,
        team=team,
        owner=owner,
        period_kind=kind,
        period_start=start,
        as_of=AS_OF,
    )


def amounts(method, kind, start, **scope):
    found = run(method, kind, start, **scope)
    return found.amount, found.target


def test_stage_weighted_counts_booked_plus_weighted_pipeline_closing_in_the_period(org, world):
    # Company, 5 teams (not the presales ones), rep1-3; 5 periods; 3 methods.
    assert services.forecasts_recompute(as_of=AS_OF) == 9 * 5 * 3

    method = "stage_weighted"
    feb = run(method, "month", FEB, owner=org.rep1)
    assert feb.amount == Decimal("180000.00")  # 100,000 won + 200,000 x 40 %
    assert feb.figures == {
        "booked": 100000.0,
        "weighted": 80000.0,
        "pipeline": 200000.0,
        "deals": 1,
    }
    assert feb.period_end == D(2027, 2, 28)
    assert amounts(method, "month", MAR, owner=org.rep1) == (
        Decimal("10000.00"),
        Decimal("80000.00"),
    )
    # Q1 adds January's win and O5, overdue since 31 January but still inside the quarter.
    assert amounts(method, "quarter", Q1, owner=org.rep1) == (
        Decimal("246000.00"),
        Decimal("200000.00"),
    )
    assert amounts(method, "month", APR, owner=org.rep2) == (Decimal("200000.00"), None)
    # Categories do not matter here: the omitted O4 counts; W3 is won after the as-of day.
    assert amounts(method, "month", FEB, owner=org.rep3) == (
        Decimal("32000.00"),
        Decimal("40000.00"),
    )
    # Teams take their whole subtree; the company everything.
    assert amounts(method, "month", FEB, team=org.shanghai) == (
        Decimal("180000.00"),
        Decimal("300000.00"),  # the team's own target
    )
    assert amounts(method, "month", MAR, team=org.shanghai) == (
        Decimal("10000.00"),
        Decimal("80000.00"),  # no team target in March: its people's
    )
    assert amounts(method, "month", FEB, team=org.east) == (
        Decimal("212000.00"),
        Decimal("210000.00"),
    )
    assert amounts(method, "month", FEB, team=org.beijing) == (Decimal("0.00"), None)
    assert amounts(method, "month", FEB) == (Decimal("212000.00"), Decimal("210000.00"))
    assert amounts(method, "quarter", Q1) == (Decimal("278000.00"), Decimal("290000.00"))


def test_categories_count_booked_plus_commit(org, world):
    services.forecasts_recompute(as_of=AS_OF)

    feb = run("category", "month", FEB, owner=org.rep1)
    assert feb.amount == Decimal("300000.00")
    assert feb.figures == {
        "booked": 100000.0,
        "commit": 200000.0,
        "best_case": 0.0,
        "pipeline": 0.0,
        "best_case_total": 300000.0,
    }
    q1 = run("category", "quarter", Q1, owner=org.rep1)
    assert q1.amount == Decimal("410000.00")  # 150,000 won + O1 and O5 committed
    assert (q1.figures["best_case"], q1.figures["best_case_total"]) == (100000.0, 510000.0)
    apr = run("category", "month", APR, owner=org.rep2)
    assert (apr.amount, apr.figures["pipeline"]) == (Decimal("0.00"), 400000.0)
    # An omitted deal is in no category.
    assert run("category", "month", FEB, team=org.jiangsu).amount == Decimal("0.00")
    assert run("category", "month", FEB).amount == Decimal("300000.00")


def test_historical_model_allocates_expected_amounts_by_time_to_close(org, world):
    services.forecasts_recompute(as_of=AS_OF)

    method = "historical"
    # O1: 100,000 expected, 2/4 in Feb, 1/4 in Mar, 1/4 in May.
    # O2: 20,000 expected; 10 days in, its 5-day point is gone: 1/3 each Feb, Mar, Apr.
    feb = run(method, "month", FEB, owner=org.rep1)
    assert feb.amount == Decimal("156666.67")  # 100,000 won + 50,000 + 6,666.67
    assert (feb.figures["booked"], feb.figures["expected"]) == (100000.0, 56666.67)
    assert feb.figures["deals"] == 2
    # O5 has been in "first" longer than any won deal took from there.
    assert (feb.figures["stale_deals"], feb.figures["stale_amount"]) == (1, 60000.0)
    assert run(method, "quarter", Q1, owner=org.rep1).amount == Decimal("238333.33")
    assert run(method, "month", APR, owner=org.rep1).amount == Decimal("6666.67")
    # O3's stage has no statistics: 400,000 x 50 % in its close month.
    assert run(method, "month", APR, owner=org.rep2).amount == Decimal("200000.00")
    # O4: 40,000 expected, half in Feb; one deal booking 80,000 with chance 1/4.
    jiangsu = run(method, "month", FEB, team=org.jiangsu)
    assert jiangsu.amount == Decimal("20000.00")
    assert (jiangsu.figures["low"], jiangsu.figures["high"]) == (0.0, 64395.93)
    assert run(method, "month", FEB).amount == Decimal("176666.67")
    assert run(method, "quarter", Q2).amount == Decimal("241666.67")


def test_rerun_replaces_the_days_rows_and_a_scoped_run_only_its_scopes(org, world):
    services.forecasts_recompute(as_of=AS_OF)
    columns = ("method", "scope", "team", "owner", "period_kind", "period_start", "amount")
    first = sorted(ForecastRun.objects.values_list(*columns, "target"), key=str)

    services.forecasts_recompute(as_of=AS_OF)
    assert sorted(ForecastRun.objects.values_list(*columns, "target"), key=str) == first
    assert ForecastRun.objects.count() == 135

    others = dict(ForecastRun.objects.exclude(owner=org.rep2).values_list("pk", "amount"))
    world["o3"].probability = 70
    world["o3"].save(update_fields=["probability"])
    assert services.forecasts_recompute(as_of=AS_OF, scopes=[("rep", org.rep2.pk)]) == 15

    assert run("stage_weighted", "month", APR, owner=org.rep2).amount == Decimal("280000.00")
    assert dict(ForecastRun.objects.exclude(owner=org.rep2).values_list("pk", "amount")) == others
    assert ForecastRun.objects.count() == 135
