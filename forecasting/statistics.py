"""Stage statistics learnt from the stage history (StageChange): conversion to a later stage,
win rate, days in stage and days to a win, per process, per team (a team's figures cover its
whole subtree) and company-wide (team empty). The method is forecasting.model's calibration;
this module feeds it from the database in one streamed query and turns the result into
StageStatistic rows, and `stage_norms` is the lookup the alerts and forecasts use."""

import datetime
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from django.conf import settings
from django.db.models import Q

from opportunities.models import StageChange
from salesops.models import Team

from .model import Calibrator, DealHistory, Move, OpenDeal, StageCalibration
from .models import StageStatistic

RATE_PLACES = Decimal("0.0001")
DAY_PLACES = Decimal("0.1")


def _decimal(value: float | None, places: Decimal) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def deal_histories(
    *, before: datetime.datetime | None = None
) -> Iterator[tuple[int, int, int, DealHistory]]:
    """(opportunity id, team id, process id, history) for every deal with a stage history,
    with the moves made before `before` only when it is given. One query, streamed."""
    changes = StageChange.objects.order_by("opportunity_id", "changed_at", "pk")
    if before is not None:
        changes = changes.filter(changed_at__lt=before)
    rows = changes.values_list(
        "opportunity_id",
        "opportunity__team_id",
        "opportunity__process_id",
        "to_stage_id",
        "to_stage__order",
        "status",
        "changed_at",
        "days_in_previous",
    ).iterator(chunk_size=5000)
    for opportunity_id, deal_rows in groupby(rows, key=lambda row: row[0]):
        deal_rows = list(deal_rows)
        _id, team_id, process_id = deal_rows[0][:3]
        moves = tuple(
            Move(
                at=changed_at,
                stage=stage_id,
                order=order,
                status=status,
                days_in_previous=float(days) if days is not None else None,
            )
            for _o, _t, _p, stage_id, order, status, changed_at, days in deal_rows
        )
        yield opportunity_id, team_id, process_id, DealHistory(moves)


def team_chains() -> dict[int, list[int]]:
    """Each team's id with the ids of the teams above it (the subtrees it belongs to)."""
    paths = dict(Team.objects.values_list("id", "path"))
    by_path = {path: team_id for team_id, path in paths.items()}
    step = Team.steplen
    return {
        team_id: [
            by_path[path[:end]] for end in range(step, len(path) + 1, step) if path[:end] in by_path
        ]
        for team_id, path in paths.items()
    }


def calibrate_groups(
    histories, chains: dict[int, list[int]], *, censor_at: datetime.datetime | None = None
) -> dict[tuple, dict]:
    """(process id, team id or None) -> stage id -> StageCalibration, with each deal counted
    in the company, its team and every team above. `censor_at` is when the histories were
    read (deals open then are censored in the life tables)."""
    calibrators: dict[tuple, Calibrator] = {}
    for _opportunity_id, team_id, process_id, history in histories:
        for team in [None, *chains.get(team_id, [team_id])]:
            key = (process_id, team)
            calibrator = calibrators.get(key)
            if calibrator is None:
                calibrator = calibrators[key] = Calibrator(censor_at)
            calibrator.add(history)
    return {key: calibrator.result() for key, calibrator in calibrators.items()}


def statistic_rows(groups: dict[tuple, dict], *, computed_on: datetime.date):
    """Unsaved StageStatistic rows for the calibrated groups."""
    rows = []
    for (process_id, team_id), stages in groups.items():
        for stage_id, calibration in stages.items():
            rows.append(
                StageStatistic(
                    process_id=process_id,
                    team_id=team_id,
                    stage_id=stage_id,
                    sample_size=calibration.sample_size,
                    reached_next=calibration.reached_next,
                    won=calibration.won,
                    conversion_rate=_decimal(calibration.conversion_rate, RATE_PLACES),
                    win_rate=_decimal(calibration.win_rate, RATE_PLACES),
                    median_days=_decimal(calibration.median_days, DAY_PLACES),
                    p80_days=_decimal(calibration.p80_days, DAY_PLACES),
                    median_days_to_close=_decimal(calibration.median_days_to_close, DAY_PLACES),
                    days_to_close=list(calibration.days_to_close),
                    life_table=[list(row) for row in calibration.life_table],
                    computed_on=computed_on,
                )
            )
    return rows


def min_sample() -> int:
    return settings.FORECASTING_MIN_SAMPLE


def stage_norms(*, process_id: int, team_id: int | None) -> dict[int, StageStatistic]:
    """Stage id -> the statistics to judge a deal of this team by: the team's own (its
    subtree's) when its sample reaches FORECASTING_MIN_SAMPLE, else the company's. Stages with
    neither are missing."""
    scope = Q(team__isnull=True) | Q(team_id=team_id) if team_id else Q(team__isnull=True)
    rows = StageStatistic.objects.filter(scope, process_id=process_id)
    norms, company = {}, {}
    for row in rows:
        if row.team_id is None:
            company[row.stage_id] = row
        elif row.sample_size >= min_sample():
            norms[row.stage_id] = row
    return {**company, **norms}


def as_calibration(row: StageStatistic) -> StageCalibration:
    """A stored row back into the model's terms (its closed count is not stored: the win
    rate already carries it)."""
    return StageCalibration(
        stage=row.stage_id,
        sample_size=row.sample_size,
        reached_next=row.reached_next,
        closed=row.won,
        won=row.won,
        conversion_rate=float(row.conversion_rate),
        win_rate=float(row.win_rate),
        median_days=float(row.median_days) if row.median_days is not None else None,
        p80_days=float(row.p80_days) if row.p80_days is not None else None,
        days_to_close=tuple(float(point) for point in row.days_to_close),
        median_days_to_close=(
            float(row.median_days_to_close) if row.median_days_to_close is not None else None
        ),
        life_table=tuple(tuple(entry) for entry in row.life_table),
    )


def calibration_lookup(
    groups: dict[tuple, dict[int, StageCalibration]], team_of: Callable[[OpenDeal], int]
) -> Callable[[OpenDeal], StageCalibration | None]:
    """For the model: a deal's stage calibration from its team's figures when their sample is
    large enough, else the company's."""
    minimum = min_sample()
    by_team: dict[tuple[int | None, int], StageCalibration] = {}
    for (_process_id, team_id), stages in groups.items():
        for stage_id, calibration in stages.items():
            if team_id is None or calibration.sample_size >= minimum:
                by_team[(team_id, stage_id)] = calibration

    def lookup(deal: OpenDeal) -> StageCalibration | None:
        return by_team.get((team_of(deal), deal.stage)) or by_team.get((None, deal.stage))

    return lookup


def stored_groups() -> dict[tuple, dict[int, StageCalibration]]:
    """The stored statistics in the shape `calibrate_groups` returns."""
    groups: dict[tuple, dict[int, StageCalibration]] = {}
    for row in StageStatistic.objects.all():
        groups.setdefault((row.process_id, row.team_id), {})[row.stage_id] = as_calibration(row)
    return groups
