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

Life tables: for every stage, how many deals were won, lost or were still open (censored,
when the histories were read at a known moment) so many whole days after their last entry into
it. `Survival` reads them the Kaplan-Meier way, so a deal's chance of a win is conditioned on
the time it has already spent in the stage: a deal that has sat in "negotiate" for three
months no longer counts like one that arrived yesterday, and the deals still open stay at risk
instead of making the history look as if every deal closed fast. When a stage has a life
table, allocation uses it; stored statistics without one fall back to the rule below.

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

import bisect
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
    # (day, won, lost, censored): how many deals, counted from their last entry into the
    # stage, were won, lost or still open (censored) that many whole days later.
    life_table: tuple[tuple[int, int, int, int], ...] = ()


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
    life: dict = field(default_factory=dict)  # day -> [won, lost, censored]


class Calibrator:
    """Accumulates deal histories one at a time (so a caller can stream millions of them)
    and returns each stage's calibration."""

    def __init__(self, censor_at=None) -> None:
        """`censor_at` is the moment the histories were read: deals still open then count in
        the life tables as open for that long (censored), so that the history of a young
        pipeline does not look as if every deal closed fast."""
        self._tallies: dict[Hashable, _Tally] = {}
        self._censor_at = censor_at

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
        for stage, last in last_entry.items():
            self._life(stage, orders[stage], moves[last].at, final)
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

    def _life(self, stage: Hashable, order: int, entered, final: Move) -> None:
        if final.status in CLOSED:
            column, end = (0 if final.status == WON else 1), final.at
        elif self._censor_at is not None:
            column, end = 2, self._censor_at
        else:
            return
        day = math.floor(days_between(entered, end))
        counts = self._tally(stage, order).life.setdefault(day, [0, 0, 0])
        counts[column] += 1

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
                life_table=tuple((day, *tally.life[day]) for day in sorted(tally.life)),
            )
        return calibrations


def calibrate(
    histories: Iterable[DealHistory], min_sample: int = 1, censor_at=None
) -> dict[Hashable, StageCalibration]:
    calibrator = Calibrator(censor_at)
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


class Survival:
    """The Kaplan-Meier view of a stage's life table: for a deal still open `age` days after
    entering the stage, the chance of being won on each later day is the share of the deals
    at risk then that were won that day, times the chance of still being open by then. Deals
    still open when the history was read (censored) stay at risk as long as they were seen."""

    def __init__(self, life_table) -> None:
        self.days = [row[0] for row in life_table]
        at_risk = sum(won + lost + censored for _day, won, lost, censored in life_table)
        survival, won_so_far = 1.0, 0.0
        self.survival_before, self.won_before = [], []
        for _day, won, lost, censored in life_table:
            self.survival_before.append(survival)
            self.won_before.append(won_so_far)
            if at_risk:
                won_so_far += survival * won / at_risk
                survival *= 1 - (won + lost) / at_risk
            at_risk -= won + lost + censored
        self.survival_before.append(survival)
        self.won_before.append(won_so_far)

    def _index(self, age: int) -> int:
        return bisect.bisect_left(self.days, age)

    def win_chance(self, age: int, until_age: float = math.inf) -> float:
        """P(won on a day in [age, until_age] | still open at `age`)."""
        start = self._index(age)
        survival = self.survival_before[start]
        if survival <= 0:
            return 0.0
        end = len(self.days) if until_age == math.inf else bisect.bisect_right(self.days, until_age)
        if end <= start:
            return 0.0
        return (self.won_before[end] - self.won_before[start]) / survival


def deal_shares(
    deal: OpenDeal,
    calibration: StageCalibration | None,
    periods: Iterable,
    as_of: datetime.date,
    survival: Survival | None = None,
) -> tuple[float, dict] | None:
    """The deal's win probability and the share of its time-to-close distribution that falls
    in each period (periods with nothing are left out). None for a stale deal. With a life
    table, both are conditioned on the deal still being open at its age (`Survival`)."""
    periods = list(periods)
    if calibration is not None and calibration.life_table:
        survival = survival or Survival(calibration.life_table)
        age = max((as_of - deal.entered_on).days, 0)
        chance = survival.win_chance(age)
        if chance <= 0:
            return None
        shares = {}
        for period in periods:
            low = max((period.start - deal.entered_on).days, age)
            high = (period.end - deal.entered_on).days
            if high >= low:
                inside = survival.win_chance(age, high) - survival.win_chance(age, low - 1)
                if inside > 0:
                    shares[period] = inside / chance
        return chance, shares
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
    survivals: dict[int, Survival] = {}
    for deal in deals:
        group = groups.get(deal.group)
        if group is None:
            group = groups[deal.group] = GroupForecast()
        stage_calibration = lookup(deal)
        if stage_calibration is None:
            group.fallback_count += 1
        survival = None
        if stage_calibration is not None and stage_calibration.life_table:
            survival = survivals.get(id(stage_calibration))
            if survival is None:
                survival = survivals[id(stage_calibration)] = Survival(stage_calibration.life_table)
        outcome = deal_shares(deal, stage_calibration, periods, as_of, survival)
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
