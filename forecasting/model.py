"""The historical forecast model, as pure functions on plain data (no ORM), so that the same
code runs in the nightly job and in a backtest on an external data set.

Calibration (`calibrate`, or `Calibrator` to feed deals one by one) reads each deal's stage
history: a time-ordered list of moves, each saying which stage the deal went to, when, and its
status afterwards (open, won, lost, abandoned). A move with status "open" is an *entry* into its
stage (creation, advance, skip, move back, reopen); the next move ends that *stay*. For every
stage it learns:

- the sample: deals that entered the stage and have since left it (moved or closed);
- conversion: the share of the sample that later reached a stage of a higher order, or won;
- the win rate: among the deals of the sample whose outcome is known (closed), the share
  that was won. Deals still open are left out of the win rate: counting them as not won
  would understate it while the pipeline grows;
- days in stage: the median and 80th percentile over every completed stay (from the recorded
  days in the previous stage, else from the time between the two moves);
- days to close: for won deals, the days from their last entry into the stage to the win,
  kept as quantile points at evenly spaced probabilities (every value for up to 101 deals,
  the percentiles 0..100 beyond): the empirical distribution of the time to close.

Allocation (`allocate`) spreads each open deal's expected bookings over periods. The deal's
expected amount is amount x win rate of its stage. Its time to close is drawn from the stage's
days-to-close points, measured from the day it entered the stage and *conditioned on the time
it has already spent there*: points that would have closed it before the as-of day are
dropped, and the rest keep equal mass. The share of the remaining points that lands in a
period (entered_on + whole days of the point) is the share of the expected amount booked in
that period; points beyond the last period are bookings later than the horizon. Two edge cases:

- a deal that has been in its stage longer than any won deal took from there is *stale*: the
  history has no win that late, so it contributes nothing and is counted apart;
- a stage without any calibration (a new stage, or no history at all) falls back to the
  stage-weighted rule: amount x the deal's probability, in the period of its expected close
  date (the as-of period when that date has passed).

Each deal is treated as an independent bet that books its amount in a period with probability
q = win rate x share, so the variance of a period's total is the sum of amount^2 x q x (1 - q);
`PeriodForecast.interval` turns it into a low/high band (normal approximation, 80 % by
default).

A backtest (e.g. on the Maven CRM practice data set: month-ahead bookings, forecasts made from
what was known on the first day of each month) builds `DealHistory` values from the export,
calibrates on the deals closed before each cut-off with their moves up to it, allocates the
deals open at the cut-off, and compares the month's expected bookings with what was booked.
"""

import datetime
import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field

OPEN = "open"
WON = "won"
CLOSED = frozenset({"won", "lost", "abandoned"})
SECONDS_PER_DAY = 86400
MAX_POINTS = 101
Z_80 = 1.2816  # two-sided 80 % band of a normal distribution


# Calibration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One step of a deal's stage history: it went to `stage` (of rank `order` in its
    process) at `at` (a date or a datetime) and had `status` afterwards. `days_in_previous`
    is the time spent in the stage it left, when the source recorded it."""

    at: datetime.datetime | datetime.date
    stage: Hashable
    order: int
    status: str
    days_in_previous: float | None = None


@dataclass(frozen=True)
class DealHistory:
    moves: tuple[Move, ...]

    @property
    def status(self) -> str:
        return self.moves[-1].status if self.moves else OPEN

    def until(self, moment) -> "DealHistory":
        """The history as it was known at `moment` (moves strictly before it)."""
        return DealHistory(tuple(move for move in self.moves if move.at < moment))


@dataclass(frozen=True)
class StageCalibration:
    stage: Hashable
    sample_size: int
    reached_next: int
    closed: int
    won: int
    conversion_rate: float
    win_rate: float
    median_days: float | None
    p80_days: float | None
    days_to_close: tuple[float, ...]
    median_days_to_close: float | None


def days_between(start, end) -> float:
    if isinstance(start, datetime.datetime):
        return max((end - start).total_seconds(), 0) / SECONDS_PER_DAY
    return float(max((end - start).days, 0))


def quantile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (NumPy's default): the median of
    [1, 2, 3, 4] is 2.5 and its 80th percentile 3.4."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def quantile_points(values: Iterable[float], max_points: int = MAX_POINTS) -> tuple[float, ...]:
    """Equal-mass points of an empirical distribution, to 0.1 day: every value for small
    samples, the percentiles beyond."""
    ordered = sorted(values)
    if len(ordered) > max_points:
        ordered = [quantile(ordered, index / (max_points - 1)) for index in range(max_points)]
    return tuple(round(value, 1) for value in ordered)


@dataclass
class _Tally:
    order: int
    sample: int = 0
    reached_next: int = 0
    closed: int = 0
    won: int = 0
    stays: list[float] = field(default_factory=list)
    to_win: list[float] = field(default_factory=list)


class Calibrator:
    """Accumulates deal histories one at a time (so a caller can stream millions of them)
    and returns each stage's calibration."""

    def __init__(self) -> None:
        self._tallies: dict[Hashable, _Tally] = {}

    def add(self, history: DealHistory) -> None:
        moves = history.moves
        if not moves:
            return
        final = moves[-1]
        first_entry: dict[Hashable, int] = {}
        last_entry: dict[Hashable, int] = {}
        orders: dict[Hashable, int] = {}
        for index, move in enumerate(moves):
            if move.status != OPEN:
                continue
            first_entry.setdefault(move.stage, index)
            last_entry[move.stage] = index
            orders[move.stage] = move.order
            if index + 1 < len(moves):
                following = moves[index + 1]
                days = following.days_in_previous
                if days is None:
                    days = days_between(move.at, following.at)
                self._tally(move.stage, move.order).stays.append(float(days))
        for stage, first in first_entry.items():
            if first == len(moves) - 1:
                continue  # entered last and still there: not in the sample yet
            tally = self._tally(stage, orders[stage])
            tally.sample += 1
            later = moves[first + 1 :]
            if any(move.order > orders[stage] or move.status == WON for move in later):
                tally.reached_next += 1
            if final.status in CLOSED:
                tally.closed += 1
                if final.status == WON:
                    tally.won += 1
                    tally.to_win.append(days_between(moves[last_entry[stage]].at, final.at))

    def _tally(self, stage: Hashable, order: int) -> _Tally:
        tally = self._tallies.get(stage)
        if tally is None:
            tally = self._tallies[stage] = _Tally(order=order)
        return tally

    def result(self, min_sample: int = 1) -> dict[Hashable, StageCalibration]:
        """Stages with at least `min_sample` deals in their sample."""
        calibrations = {}
        for stage, tally in self._tallies.items():
            if tally.sample < max(min_sample, 1):
                continue
            stays = sorted(tally.stays)
            to_win = sorted(tally.to_win)
            calibrations[stage] = StageCalibration(
                stage=stage,
                sample_size=tally.sample,
                reached_next=tally.reached_next,
                closed=tally.closed,
                won=tally.won,
                conversion_rate=tally.reached_next / tally.sample,
                win_rate=tally.won / tally.closed if tally.closed else 0.0,
                median_days=quantile(stays, 0.5),
                p80_days=quantile(stays, 0.8),
                days_to_close=quantile_points(to_win),
                median_days_to_close=quantile(to_win, 0.5),
            )
        return calibrations


def calibrate(
    histories: Iterable[DealHistory], min_sample: int = 1
) -> dict[Hashable, StageCalibration]:
    calibrator = Calibrator()
    for history in histories:
        calibrator.add(history)
    return calibrator.result(min_sample)


# Allocation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenDeal:
    """An open deal at the as-of day. `probability` (percent) and `expected_close_date` are
    used only when its stage has no calibration."""

    amount: float
    stage: Hashable
    entered_on: datetime.date
    probability: float = 0
    expected_close_date: datetime.date | None = None
    group: Hashable = None


@dataclass
class PeriodForecast:
    expected: float = 0.0
    variance: float = 0.0
    deals: int = 0

    def interval(self, z: float = Z_80) -> tuple[float, float]:
        spread = z * math.sqrt(self.variance)
        return max(self.expected - spread, 0.0), self.expected + spread


@dataclass
class GroupForecast:
    by_period: dict = field(default_factory=dict)  # Period -> PeriodForecast
    stale_count: int = 0
    stale_amount: float = 0.0
    fallback_count: int = 0


def deal_shares(
    deal: OpenDeal,
    calibration: StageCalibration | None,
    periods: Iterable,
    as_of: datetime.date,
) -> tuple[float, dict] | None:
    """The deal's win probability and the share of its time-to-close distribution that falls
    in each period (periods with nothing are left out). None for a stale deal."""
    periods = list(periods)
    if calibration is None:
        close = deal.expected_close_date or as_of
        close = max(close, as_of)
        return float(deal.probability) / 100, {
            period: 1.0 for period in periods if period.start <= close <= period.end
        }
    if not calibration.days_to_close:
        return calibration.win_rate, {}
    age = (as_of - deal.entered_on).days
    remaining = [point for point in calibration.days_to_close if math.floor(point) >= age]
    if not remaining:
        return None
    shares = {}
    for period in periods:
        inside = sum(
            1
            for point in remaining
            if period.start
            <= deal.entered_on + datetime.timedelta(days=math.floor(point))
            <= period.end
        )
        if inside:
            shares[period] = inside / len(remaining)
    return calibration.win_rate, shares


def allocate(
    deals: Iterable[OpenDeal],
    calibration: Mapping[Hashable, StageCalibration]
    | Callable[[OpenDeal], StageCalibration | None],
    periods: Iterable,
    as_of: datetime.date,
) -> dict[Hashable, GroupForecast]:
    """Expected bookings of the open deals per group (deal.group) and period. `calibration`
    maps a stage to its calibration, or is a function of the deal (e.g. a team's figures with
    the company's as fallback)."""
    periods = list(periods)
    lookup = calibration if callable(calibration) else (lambda deal: calibration.get(deal.stage))
    groups: dict[Hashable, GroupForecast] = {}
    for deal in deals:
        group = groups.get(deal.group)
        if group is None:
            group = groups[deal.group] = GroupForecast()
        stage_calibration = lookup(deal)
        if stage_calibration is None:
            group.fallback_count += 1
        outcome = deal_shares(deal, stage_calibration, periods, as_of)
        amount = float(deal.amount)
        if outcome is None:
            group.stale_count += 1
            group.stale_amount += amount
            continue
        win_probability, shares = outcome
        for period, share in shares.items():
            chance = win_probability * share
            if chance <= 0:
                continue
            forecast = group.by_period.get(period)
            if forecast is None:
                forecast = group.by_period[period] = PeriodForecast()
            forecast.expected += amount * chance
            forecast.variance += amount * amount * chance * (1 - chance)
            forecast.deals += 1
    return groups
