"""The historical model on plain data: no database."""

import datetime

import pytest

from forecasting.model import (
    DealHistory,
    Move,
    OpenDeal,
    StageCalibration,
    Survival,
    allocate,
    calibrate,
    quantile,
    quantile_points,
)
from forecasting.periods import MONTH, QUARTER, forecast_periods, period_containing

D = datetime.date


def history(*moves, outcome=None):
    """moves: (stage, order, date); outcome: ("won" | "lost", date)."""
    steps = [Move(at=at, stage=stage, order=order, status="open") for stage, order, at in moves]
    if outcome:
        status, at = outcome
        stage, order = ("won", 9) if status == "won" else moves[-1][:2]
        steps.append(Move(at=at, stage=stage, order=order, status=status))
    return DealHistory(tuple(steps))


def calibration(stage, win_rate, points):
    return StageCalibration(
        stage=stage,
        sample_size=10,
        reached_next=5,
        closed=10,
        won=int(win_rate * 10),
        conversion_rate=0.5,
        win_rate=win_rate,
        median_days=None,
        p80_days=None,
        days_to_close=tuple(points),
        median_days_to_close=None,
    )


def test_quantiles_interpolate_between_ranks():
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([1, 2, 3, 4], 0.8) == pytest.approx(3.4)
    assert quantile([7], 0.8) == 7
    assert quantile([], 0.5) is None
    assert quantile_points([3, 1, 2]) == (1.0, 2.0, 3.0)
    many = quantile_points(range(1001))
    assert len(many) == 101 and many[0] == 0 and many[50] == 500 and many[-1] == 1000


def test_calibrate_counts_sample_conversion_win_rate_and_days():
    histories = [
        history(("a", 1, D(2026, 1, 1)), ("b", 2, D(2026, 1, 11)), outcome=("won", D(2026, 2, 10))),
        history(("a", 1, D(2026, 1, 1)), outcome=("lost", D(2026, 1, 5))),
        history(("a", 1, D(2026, 1, 1)), ("b", 2, D(2026, 1, 3))),  # open in b
        history(("a", 1, D(2026, 3, 1))),  # open in a: not in a's sample
        # Moved back from b to a, then won: a's days to close run from its last entry.
        history(
            ("a", 1, D(2026, 1, 1)),
            ("b", 2, D(2026, 1, 2)),
            ("a", 1, D(2026, 1, 4)),
            outcome=("won", D(2026, 1, 14)),
        ),
    ]
    result = calibrate(histories)

    a = result["a"]
    assert (a.sample_size, a.reached_next, a.closed, a.won) == (4, 3, 3, 2)
    assert a.conversion_rate == 0.75 and a.win_rate == pytest.approx(2 / 3)
    # Stays in a: 10, 4, 2, 1 and 10 (after coming back).
    assert (a.median_days, a.p80_days) == (4, pytest.approx(10))
    assert a.days_to_close == (10.0, 40.0)
    b = result["b"]
    # Winning counts as reaching a later stage, even after a move back.
    assert (b.sample_size, b.reached_next, b.closed, b.won) == (2, 2, 2, 2)
    assert b.days_to_close == (12.0, 30.0)
    assert "won" not in result
    assert set(calibrate(histories, min_sample=3)) == {"a"}


def test_history_until_drops_later_moves():
    deal = history(("a", 1, D(2026, 1, 1)), outcome=("won", D(2026, 2, 1)))
    assert deal.until(D(2026, 1, 15)).status == "open"
    assert deal.status == "won"


def test_allocate_spreads_expected_amount_by_time_to_close_conditioned_on_age():
    as_of = D(2027, 2, 10)
    periods = forecast_periods(as_of)  # Feb, Mar, Apr; Q1, Q2
    feb, mar, apr, q1, q2 = periods
    model = {
        "second": calibration("second", 0.5, [0, 10, 30, 100]),
        "first": calibration("first", 0.2, [5, 15, 40, 60]),
    }
    deals = [
        # Entered today: closes Feb 10, Feb 20, Mar 12 or May 21.
        OpenDeal(amount=200000, stage="second", entered_on=as_of, group="x"),
        # 10 days in: the 5-day point is gone; Feb 15, Mar 12, Apr 1 remain.
        OpenDeal(amount=90000, stage="first", entered_on=D(2027, 1, 31), group="x"),
        # Longer in the stage than any won deal took: stale.
        OpenDeal(amount=60000, stage="first", entered_on=D(2026, 10, 1), group="x"),
        # No calibration: the stage-weighted rule in its expected close month.
        OpenDeal(
            amount=400000,
            stage="third",
            entered_on=as_of,
            probability=50,
            expected_close_date=D(2027, 4, 10),
            group="y",
        ),
    ]
    result = allocate(deals, model, periods, as_of)

    x = result["x"].by_period
    # 100,000 expected from the first deal (2/4 in Feb, 1/4 in Mar, 1/4 in May), 18,000
    # from the second (1/3 each in Feb, Mar and Apr).
    assert x[feb].expected == pytest.approx(50000 + 6000)
    assert x[mar].expected == pytest.approx(25000 + 6000)
    assert x[apr].expected == pytest.approx(6000)
    assert x[q1].expected == pytest.approx(75000 + 12000)
    assert x[q2].expected == pytest.approx(25000 + 6000)
    assert x[feb].deals == 2
    assert (result["x"].stale_count, result["x"].stale_amount) == (1, 60000)
    y = result["y"]
    assert y.fallback_count == 1
    assert set(y.by_period) == {apr, q2}
    assert y.by_period[apr].expected == 200000
    # One deal that books 400,000 with probability 1/2: variance 400,000² / 4.
    assert y.by_period[apr].variance == pytest.approx(4e10)
    low, high = y.by_period[apr].interval()
    assert (low, high) == (0.0, pytest.approx(200000 + 1.2816 * 200000))


def test_allocate_accepts_a_lookup_function():
    as_of = D(2027, 2, 10)
    periods = [period_containing(MONTH, as_of), period_containing(QUARTER, as_of)]
    team_model = calibration("s", 1.0, [0])
    deals = [
        OpenDeal(amount=100, stage="s", entered_on=as_of, group=("team", 1)),
        OpenDeal(amount=100, stage="s", entered_on=as_of, group=("team", 2)),
    ]
    result = allocate(
        deals, lambda deal: team_model if deal.group[1] == 1 else None, periods, as_of
    )
    assert result[("team", 1)].by_period[periods[0]].expected == 100
    # The other team has no figures and no probability: nothing expected.
    assert result[("team", 2)].by_period == {}


def test_life_table_counts_wins_losses_and_deals_still_open_from_the_last_entry():
    histories = [
        history(("a", 1, D(2026, 1, 1)), outcome=("won", D(2026, 1, 11))),  # day 10
        history(("a", 1, D(2026, 1, 1)), outcome=("lost", D(2026, 1, 21))),  # day 20
        history(("a", 1, D(2026, 1, 7))),  # open, 25 days at the read
        history(("a", 1, D(2026, 1, 1)), ("b", 2, D(2026, 1, 5)), outcome=("won", D(2026, 1, 31))),
        history(("a", 1, D(2026, 1, 1)), outcome=("lost", D(2026, 2, 10))),  # day 40
    ]
    table = calibrate(histories, censor_at=D(2026, 2, 1))["a"].life_table
    assert table == ((10, 1, 0, 0), (20, 0, 1, 0), (25, 0, 0, 1), (30, 1, 0, 0), (40, 0, 1, 0))
    # Read without a moment, open deals are left out of the table.
    assert calibrate(histories)["a"].life_table[2] == (30, 1, 0, 0)


def test_survival_conditions_the_win_chance_on_the_time_already_spent():
    table = ((10, 1, 0, 0), (20, 0, 1, 0), (25, 0, 0, 1), (30, 1, 0, 0), (40, 0, 1, 0))
    survival = Survival(table)
    # Kaplan-Meier: a win on day 10 (1 of 5 at risk), a loss on day 20 (1 of 4: 60 % still
    # open), one deal leaves the view on day 25, a win on day 30 (1 of 2: 0.6 x 1/2).
    assert survival.win_chance(0) == pytest.approx(0.2 + 0.3)
    assert survival.win_chance(0, until_age=29) == pytest.approx(0.2)
    # Fifteen days in, the day-10 win is behind: 0.3 of the 0.8 still open.
    assert survival.win_chance(15) == pytest.approx(0.375)
    # Older than any win: nothing left to win.
    assert survival.win_chance(31) == 0


def test_allocate_uses_the_life_table_when_there_is_one():
    as_of = D(2027, 3, 1)
    periods = forecast_periods(as_of)  # Mar, Apr, May; Q1, Q2
    mar, apr, may, q1, q2 = periods
    stage = StageCalibration(
        stage="a",
        sample_size=4,
        reached_next=2,
        closed=4,
        won=2,
        conversion_rate=0.5,
        win_rate=0.5,
        median_days=None,
        p80_days=None,
        days_to_close=(10.0, 30.0),
        median_days_to_close=20.0,
        life_table=((10, 1, 0, 0), (20, 0, 1, 0), (25, 0, 0, 1), (30, 1, 0, 0), (40, 0, 1, 0)),
    )
    deals = [
        # 15 days in (entered Feb 14): only the day-30 win is ahead, on Mar 16.
        OpenDeal(amount=80000, stage="a", entered_on=D(2027, 2, 14), group="x"),
        # Entered today: day 10 (Mar 11) with 0.2, day 30 (Mar 31) with 0.3.
        OpenDeal(amount=100000, stage="a", entered_on=as_of, group="x"),
        # 40 days in: older than the last win, stale.
        OpenDeal(amount=50000, stage="a", entered_on=D(2027, 1, 20), group="x"),
    ]
    x = allocate(deals, {"a": stage}, periods, as_of)["x"]
    assert x.by_period[mar].expected == pytest.approx(80000 * 0.375 + 100000 * 0.5)
    assert x.by_period[q1].expected == pytest.approx(80000 * 0.375 + 100000 * 0.5)
    assert apr not in x.by_period and may not in x.by_period and q2 not in x.by_period
    assert (x.stale_count, x.stale_amount) == (1, 50000)
