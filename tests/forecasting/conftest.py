"""Shared fixtures of the deal-control tests: deals with a hand-written stage history.

`history_deal` writes an opportunity and its StageChange rows directly (the services stamp
every move with the present moment; these tests need a past): each move is (stage code, days
ago) at noon in the company's time zone, optionally closed as won (in the won stage) or lost.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from opportunities.models import Opportunity, OpportunityChange, StageChange


def _forget_forecasting_keys():
    if cache.__class__.__name__ == "RedisCache":
        # The Redis database is shared with the broker: remove only deal control's keys.
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=cache.make_key("forecasting:*")):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _no_locks_or_pending_runs():
    """Locks and pending-run markers live in the cache; each test starts without any."""
    _forget_forecasting_keys()
    yield
    _forget_forecasting_keys()


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def days_ago(days: int) -> datetime.datetime:
    return noon(timezone.localdate() - datetime.timedelta(days=days))


@pytest.fixture
def history_deal(org, pipeline, account):
    """history_deal(owner, amount, moves=[("first", 100), ("second", 90)], outcome=None,
    outcome_days_ago=None, probability=None, ...) -> Opportunity.

    `moves` are entries (days ago, at noon); `outcome` "won" adds a move to the won stage,
    "lost" a close in the last stage, both `outcome_days_ago`. `record_days=False` leaves
    days_in_previous empty, as an imported history might."""
    stages = {
        stage.code: stage
        for stage in (pipeline.first, pipeline.second, pipeline.third, pipeline.signed)
    }

    def make(
        owner,
        amount,
        moves,
        *,
        outcome=None,
        outcome_days_ago=None,
        probability=None,
        expected_close_date=None,
        forecast_category="pipeline",
        record_days=True,
        at=days_ago,
    ) -> Opportunity:
        entries = [(stages[code], at(when)) for code, when in moves]
        stage, entered = entries[-1]
        status = outcome or "open"
        closed_at = at(outcome_days_ago) if outcome else None
        final_stage = pipeline.signed if outcome == "won" else stage
        if probability is None:
            probability = {"won": 100, "lost": 0}.get(outcome, stage.probability)
        deal = Opportunity.objects.create(
            account=account,
            name=f"Deal {Opportunity.objects.count() + 1}",
            owner=owner,
            team_id=owner.team_id,
            process=pipeline.process,
            stage=final_stage,
            customer_stage=final_stage,
            status=status,
            amount=Decimal(amount),
            expected_close_date=expected_close_date
            or (closed_at or entered).date() + datetime.timedelta(days=30),
            forecast_category=forecast_category,
            probability=probability,
            created_at=entries[0][1],
            stage_entered_at=closed_at if outcome == "won" else entered,
            closed_on=timezone.localtime(closed_at).date() if closed_at else None,
            lost_reason="price" if outcome == "lost" else "",
            lost_at_stage=stage if outcome == "lost" else None,
        )
        changes, previous = [], None
        for index, (entry_stage, when) in enumerate(entries):
            changes.append(
                StageChange(
                    opportunity=deal,
                    kind="created" if index == 0 else "advance",
                    from_stage=previous[0] if previous else None,
                    to_stage=entry_stage,
                    status="open",
                    changed_at=when,
                    days_in_previous=_days(previous, when, record_days),
                )
            )
            previous = (entry_stage, when)
        if outcome:
            changes.append(
                StageChange(
                    opportunity=deal,
                    kind=outcome,
                    from_stage=stage,
                    to_stage=final_stage,
                    status=outcome,
                    changed_at=closed_at,
                    days_in_previous=_days(previous, closed_at, record_days),
                )
            )
        StageChange.objects.bulk_create(changes)
        return deal

    return make


def _days(previous, when, record_days):
    if previous is None or not record_days:
        return None
    seconds = Decimal(str((when - previous[1]).total_seconds()))
    return (seconds / Decimal(86400)).quantize(Decimal("0.01"))


def track(deal, field, old, new, when):
    """A change of a tracked field at a given moment."""
    return OpportunityChange.objects.create(
        opportunity=deal, field=field, old_value=str(old), new_value=str(new), changed_at=when
    )


@pytest.fixture
def histories(org, history_deal):
    """Five Shanghai deals and one Jiangsu deal of the test process (see test_statistics):

    A rep1: first -100, second -90, third -80, won -70
    B rep1: first -100, second -95, lost -85
    C rep1: first -60, lost -40 (days in stage not recorded: from the dates)
    D rep1: first -40, second -32, open; 150,000 until -33, then 200,000; 10 % until -32
    E rep1: first -20, open
    F rep3 (Jiangsu): first -50, second -45, won -30; 40 % until -30
    """
    a = history_deal(
        org.rep1,
        "100000",
        [("first", 100), ("second", 90), ("third", 80)],
        outcome="won",
        outcome_days_ago=70,
    )
    b = history_deal(
        org.rep1,
        "70000",
        [("first", 100), ("second", 95)],
        outcome="lost",
        outcome_days_ago=85,
    )
    c = history_deal(
        org.rep1,
        "90000",
        [("first", 60)],
        outcome="lost",
        outcome_days_ago=40,
        record_days=False,
    )
    d = history_deal(org.rep1, "200000", [("first", 40), ("second", 32)], probability=35)
    track(d, "amount", "150000.00", "200000.00", days_ago(33))
    track(d, "probability", 10, 35, days_ago(32))
    e = history_deal(org.rep1, "100000", [("first", 20)])
    f = history_deal(
        org.rep3,
        "80000",
        [("first", 50), ("second", 45)],
        outcome="won",
        outcome_days_ago=30,
    )
    track(f, "probability", 40, 100, days_ago(30))
    return SimpleNamespace(a=a, b=b, c=c, d=d, e=e, f=f)
