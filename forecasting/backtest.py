"""Backtest of the forecast methods on an external history: for each cut-off, forecast the
next month's bookings from what was known on its first day, and compare with what was booked.

The history is the Maven CRM practice data set (forecasting.maven reads it); the methods are
the ones the nightly job runs (forecasting.model), fed plain data, plus the naive baselines a
method worth shipping has to beat:
- stage-weighted open pipeline, ignoring timing (amount x the stage's default probability);
- last month's bookings; the mean of the last three months; the same month a quarter back.

MAPE is the mean of |forecast - actual| / actual over the cut-offs.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from . import maven
from .model import DealHistory, Move, OpenDeal, allocate, calibrate
from .periods import add_months, month_start, period_containing

# The "standard" process the data set maps onto: stage -> (order, default probability %).
STAGES = {"qualify": (1, 20), "propose": (2, 50), "won": (4, 100)}


@dataclass(frozen=True)
class Record:
    history: DealHistory
    list_amount: float
    won_amount: float
    won_on: datetime.date | None


def records(data: maven.Data) -> list[Record]:
    """Each deal's stage history as the product records it after the import."""
    result = []
    prices = {}
    for deal in data.deals:
        if deal.stage != "Won":
            prices[deal.product] = float(deal.amount)
    for deal in data.deals:
        moves = [Move(at=deal.created_on, stage="qualify", order=1, status="open")]
        if deal.engaged_on is not None:
            moves.append(Move(at=deal.engaged_on, stage="propose", order=2, status="open"))
        if deal.closed_on is not None:
            won = deal.stage == "Won"
            moves.append(
                Move(
                    at=deal.closed_on,
                    stage="won" if won else "propose",
                    order=4 if won else 2,
                    status="won" if won else "lost",
                )
            )
        result.append(
            Record(
                history=DealHistory(tuple(moves)),
                list_amount=prices.get(deal.product, float(deal.amount)),
                won_amount=float(deal.amount) if deal.stage == "Won" else 0.0,
                won_on=deal.closed_on if deal.stage == "Won" else None,
            )
        )
    return result


def bookings_by_month(rows: list[Record]) -> dict[datetime.date, float]:
    booked = defaultdict(float)
    for row in rows:
        if row.won_on is not None:
            booked[month_start(row.won_on)] += row.won_amount
    return booked


def forecasts_for(rows: list[Record], month: datetime.date) -> dict[str, float]:
    """Every method's forecast of `month`'s bookings, made on its first day."""
    period = period_containing("month", month)
    known = [row.history.until(month) for row in rows]
    calibration = calibrate((history for history in known if history.moves), censor_at=month)
    open_deals = [
        OpenDeal(
            amount=row.list_amount,
            stage=history.moves[-1].stage,
            entered_on=history.moves[-1].at,
            probability=STAGES[history.moves[-1].stage][1],
        )
        for row, history in zip(rows, known, strict=True)
        if history.moves and history.status == "open"
    ]
    model = allocate(open_deals, calibration, [period], month)
    booked = bookings_by_month(rows)
    history_of = [booked.get(add_months(month, -back), 0.0) for back in (1, 2, 3)]
    return {
        "historical model": sum(
            group.by_period[period].expected
            for group in model.values()
            if period in group.by_period
        ),
        "stage-weighted pipeline (no timing)": sum(
            deal.amount * deal.probability / 100 for deal in open_deals
        ),
        "last month": history_of[0],
        "mean of the last three months": sum(history_of) / 3,
        "same month a quarter back": history_of[2],
    }


def run(data: maven.Data, months: list[datetime.date]) -> dict:
    """Per cut-off month: actual bookings and each method's forecast; MAPE per method."""
    rows = records(data)
    booked = bookings_by_month(rows)
    lines, errors = [], defaultdict(list)
    for month in months:
        forecasts = forecasts_for(rows, month)
        actual = booked.get(month, 0.0)
        lines.append({"month": month, "actual": actual, "forecasts": forecasts})
        if actual:
            for method, amount in forecasts.items():
                errors[method].append(abs(amount - actual) / actual)
    mape = {method: sum(values) / len(values) for method, values in errors.items()}
    return {"rows": lines, "mape": mape}
