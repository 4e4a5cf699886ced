"""Months and quarters: the periods forecasts are made for. Plain dates, no ORM, so that the
pure model and a backtest can use them too."""

import datetime
from dataclasses import dataclass

MONTH = "month"
QUARTER = "quarter"
LENGTH_IN_MONTHS = {MONTH: 1, QUARTER: 3}


@dataclass(frozen=True, order=True)
class Period:
    """A month or a quarter: its first and last day (both included)."""

    start: datetime.date
    end: datetime.date
    kind: str

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def months(self) -> list[datetime.date]:
        return month_starts(self.start, self.end)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after the month of `month`."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_start(kind: str, day: datetime.date) -> datetime.date:
    start = month_start(day)
    if kind == QUARTER:
        start = start.replace(month=(start.month - 1) // 3 * 3 + 1)
    return start


def period_containing(kind: str, day: datetime.date) -> Period:
    """The month or quarter that contains `day`."""
    start = period_start(kind, day)
    end = add_months(start, LENGTH_IN_MONTHS[kind]) - datetime.timedelta(days=1)
    return Period(start=start, end=end, kind=kind)


def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    period = period_containing(kind, day)
    return period.start, period.end


def next_period(period: Period) -> Period:
    return period_containing(period.kind, period.end + datetime.timedelta(days=1))


def periods_from(kind: str, day: datetime.date, count: int) -> list[Period]:
    """`count` consecutive periods, the first one containing `day`."""
    periods = [period_containing(kind, day)]
    while len(periods) < count:
        periods.append(next_period(periods[-1]))
    return periods


def month_starts(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first day of every month that overlaps [start, end]."""
    months, month = [], month_start(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def forecast_periods(as_of: datetime.date, *, months: int = 3, quarters: int = 2) -> list[Period]:
    """What a forecast run covers: this month and the next ones, this quarter and the next."""
    return periods_from(MONTH, as_of, months) + periods_from(QUARTER, as_of, quarters)
