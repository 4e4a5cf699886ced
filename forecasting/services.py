"""Every write of deal control: funnel snapshots, rep months, stage statistics, forecasts, the
history backfill and the admins' "recompute now" runs.

Each recompute replaces the rows of its scope and day inside one transaction, so running it
twice leaves the same rows. The work is set-based: the database aggregates the pipeline (one
grouped query per measure, whatever the number of deals) and rows are written with
bulk_create; only the historical model streams the open deals once, because each deal's
allocation depends on its own age in its stage. Locks against concurrent runs are taken by the
Celery tasks (forecasting.tasks), which are the only callers besides tests, seed_demo and the
backfill.

Past days are reconstructed from the history the opportunities keep: a deal's stage and status
from its last StageChange before the moment, its amount, probability, expected close date and
forecast category from the first OpportunityChange of that field after the moment (its old
value), else from the deal as it is now. Its team and owner are taken as they are now.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opportunities.choices import ForecastCategory, OpportunityStatus, StageChangeKind, TrackedField
from opportunities.models import Activity, Opportunity, OpportunityChange, StageChange
from salesops.choices import TeamKind
from salesops.exceptions import PermissionRefused
from salesops.models import Target, Team, User

from . import periods as period_helpers
from . import statistics
from .choices import ForecastMethod, JobKind, JobStatus, ScopeKind
from .model import Z_80, OpenDeal, allocate
from .models import ForecastRun, FunnelSnapshot, JobRun, RepMonth, StageStatistic
from .periods import Period

ZERO = Decimal(0)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
OPEN = OpportunityStatus.OPEN
LOST_STATUSES = [OpportunityStatus.LOST, OpportunityStatus.ABANDONED]
ADVANCE_KINDS = [StageChangeKind.ADVANCE, StageChangeKind.SKIP, StageChangeKind.WON]
EXIT_KINDS = [*ADVANCE_KINDS, StageChangeKind.LOST, StageChangeKind.ABANDONED]
FORECAST_CATEGORIES = [
    ForecastCategory.COMMIT,
    ForecastCategory.BEST_CASE,
    ForecastCategory.PIPELINE,
]
MONEY_SUM = DecimalField(max_digits=30, decimal_places=2)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the company's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# The pipeline now and on a past day -------------------------------------------------------


def _later_old_value(field: str, at: datetime.datetime) -> Subquery:
    changes = OpportunityChange.objects.filter(
        opportunity=OuterRef("pk"), field=field, changed_at__gte=at
    ).order_by("changed_at", "pk")
    return NullIf(Subquery(changes.values("old_value")[:1]), Value(""))


def pipeline_at(at: datetime.datetime | None = None) -> QuerySet:
    """Every deal with what forecasts read, as `*_at` annotations: as it is now (at=None), or
    as it stood at the moment `at` (deals created since are left out)."""
    deals = Opportunity.objects.all()
    if at is None:
        return deals.annotate(
            stage_at=F("stage_id"),
            status_at=F("status"),
            entered_at=F("stage_entered_at"),
            amount_at=F("amount"),
            probability_at=F("probability"),
            close_at=F("expected_close_date"),
            category_at=F("forecast_category"),
        )
    last_move = StageChange.objects.filter(opportunity=OuterRef("pk"), changed_at__lt=at).order_by(
        "-changed_at", "-pk"
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return deals.filter(created_at__lt=at).annotate(
        stage_at=Coalesce(
            Subquery(last_move.values("to_stage_id")[:1]),
            F("stage_id"),
            output_field=IntegerField(),
        ),
        status_at=Coalesce(Subquery(last_move.values("status")[:1]), F("status")),
        entered_at=Coalesce(
            Subquery(last_move.values("changed_at")[:1]),
            F("stage_entered_at"),
            output_field=DateTimeField(),
        ),
        amount_at=Coalesce(
            Cast(_later_old_value(TrackedField.AMOUNT, at), money), F("amount"), output_field=money
        ),
        probability_at=Coalesce(
            Cast(_later_old_value(TrackedField.PROBABILITY, at), IntegerField()),
            F("probability"),
            output_field=IntegerField(),
        ),
        close_at=Coalesce(
            Cast(_later_old_value(TrackedField.CLOSE_DATE, at), DateField()),
            F("expected_close_date"),
            output_field=DateField(),
        ),
        category_at=Coalesce(
            _later_old_value(TrackedField.FORECAST_CATEGORY, at), F("forecast_category")
        ),
    )


def _weighted_sum():
    return Sum(
        ExpressionWrapper(F("amount_at") * F("probability_at"), output_field=MONEY_SUM),
        output_field=MONEY_SUM,
    )


# Funnel snapshots -------------------------------------------------------------------------


def snapshots_recompute(
    *, day: datetime.date | None = None, team_ids: list[int] | None = None
) -> int:
    """Replace the funnel snapshot of `day` (today by default) for some teams (deals of those
    teams) or all: open deals per team x rep x stage with their count, amount and weighted
    amount. Today's is read from the deals as they are; a past day's is reconstructed as it
    stood at the end of that day. Returns the number of rows written."""
    today = timezone.localdate()
    day = min(day or today, today)
    at = None if day == today else _start_of(day + datetime.timedelta(days=1))
    deals = pipeline_at(at).filter(status_at=OPEN)
    if team_ids is not None:
        deals = deals.filter(team_id__in=team_ids)
    cells = (
        deals.values("team_id", "owner_id", "process_id", "stage_at")
        .annotate(count=Count("pk"), amount=Sum("amount_at"), weighted=_weighted_sum())
        .order_by()
    )
    rows = [
        FunnelSnapshot(
            day=day,
            team_id=cell["team_id"],
            owner_id=cell["owner_id"],
            process_id=cell["process_id"],
            stage_id=cell["stage_at"],
            count=cell["count"],
            amount=_money(cell["amount"]),
            weighted_amount=_money(Decimal(cell["weighted"] or 0) / HUNDRED),
        )
        for cell in cells
    ]
    with transaction.atomic():
        existing = FunnelSnapshot.objects.filter(day=day)
        if team_ids is not None:
            existing = existing.filter(team_id__in=team_ids)
        existing.delete()
        FunnelSnapshot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# Rep months -------------------------------------------------------------------------------


def rep_months_recompute(
    *, months: list[datetime.date] | None = None, owner_ids: list[int] | None = None
) -> int:
    """Replace the rep months of `months` (first days; default this month and the last one)
    for some reps (as deal owners) or all: deals opened, won and lost, days from creation to
    win, activities the rep logged on their own deals, stage advances and exits from an open
    stage. A deal counts for its current owner and team."""
    today = timezone.localdate()
    if not months:
        this_month = period_helpers.month_start(today)
        months = [period_helpers.add_months(this_month, -1), this_month]
    months = sorted({period_helpers.month_start(month) for month in months})
    first, last = months[0], period_helpers.add_months(months[-1], 1)
    wanted = set(months)
    begin, end = _start_of(first), _start_of(last)

    def owned(queryset, owner_path="owner_id"):
        if owner_ids is not None:
            queryset = queryset.filter(**{f"{owner_path}__in": owner_ids})
        return queryset

    totals: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))

    def add(rows, measure, month_key="month", value_key="value"):
        for row in rows:
            month = row[month_key]
            if isinstance(month, datetime.datetime):
                month = timezone.localtime(month).date() if timezone.is_aware(month) else month
            month = month.replace(day=1) if month else None
            if month in wanted:
                totals[(month, row["rep_key"], row["team_key"])][measure] += row[value_key] or 0

    deals = owned(Opportunity.objects.all())
    add(
        deals.filter(created_at__gte=begin, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .values("month", rep_key=F("owner_id"), team_key=F("team_id"))
        .annotate(value=Count("pk"))
        .order_by(),
        "opened_count",
    )
    closed = deals.filter(closed_on__gte=first, closed_on__lt=last)
    for status, prefix in [([OpportunityStatus.WON], "won"), (LOST_STATUSES, "lost")]:
        rows = list(
            closed.filter(status__in=status)
            .annotate(month=TruncMonth("closed_on"))
            .values("month", rep_key=F("owner_id"), team_key=F("team_id"))
            .annotate(count=Count("pk"), amount=Sum("amount"))
            .order_by()
        )
        add(rows, f"{prefix}_count", value_key="count")
        add(rows, f"{prefix}_amount", value_key="amount")
    cycles = closed.filter(status=OpportunityStatus.WON).values_list(
        "owner_id", "team_id", "closed_on", "created_at"
    )
    for owner_id, team_id, closed_on, created_at in cycles.iterator(chunk_size=5000):
        days = (closed_on - timezone.localtime(created_at).date()).days
        totals[(closed_on.replace(day=1), owner_id, team_id)]["cycle_days_total"] += max(days, 0)
    add(
        owned(Activity.objects.filter(owner=F("opportunity__owner")))
        .filter(occurred_on__gte=first, occurred_on__lt=last)
        .annotate(month=TruncMonth("occurred_on"))
        .values("month", rep_key=F("owner_id"), team_key=F("opportunity__team_id"))
        .annotate(value=Count("pk"))
        .order_by(),
        "activities_count",
    )
    moves = owned(
        StageChange.objects.filter(changed_at__gte=begin, changed_at__lt=end),
        "opportunity__owner_id",
    ).annotate(month=TruncMonth("changed_at"))
    for kinds, measure in [(ADVANCE_KINDS, "advances_count"), (EXIT_KINDS, "stage_exits_count")]:
        add(
            moves.filter(kind__in=kinds)
            .values(
                "month",
                rep_key=F("opportunity__owner_id"),
                team_key=F("opportunity__team_id"),
            )
            .annotate(value=Count("pk"))
            .order_by(),
            measure,
        )
    rows = [
        RepMonth(
            month=month,
            owner_id=owner_id,
            team_id=team_id,
            **{
                name: _money(value) if name.endswith("_amount") else value
                for name, value in measures.items()
            },
        )
        for (month, owner_id, team_id), measures in totals.items()
    ]
    with transaction.atomic():
        existing = RepMonth.objects.filter(month__in=months)
        if owner_ids is not None:
            existing = existing.filter(owner_id__in=owner_ids)
        existing.delete()
        RepMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# Stage statistics -------------------------------------------------------------------------


def statistics_recompute(*, today: datetime.date | None = None) -> int:
    """Replace every StageStatistic row from the whole stage history. Deals still open count
    in the life tables as open until the start of `today`, so a rerun on the same day writes
    the same figures."""
    today = today or timezone.localdate()
    censor_at = _start_of(today)
    groups = statistics.calibrate_groups(
        statistics.deal_histories(), statistics.team_chains(), censor_at=censor_at
    )
    rows = statistics.statistic_rows(groups, computed_on=today)
    with transaction.atomic():
        StageStatistic.objects.all().delete()
        StageStatistic.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


# Forecasts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: str
    id: int | None = None


COMPANY = Scope(ScopeKind.COMPANY)


def forecast_scopes_for_team(team_id: int) -> list[Scope]:
    """What a change in a team's deals moves: the company, the team and every team above it,
    and the team's reps (its members and the owners of its deals)."""
    chain = statistics.team_chains().get(team_id, [])
    reps = set(User.objects.filter(team_id=team_id).values_list("pk", flat=True))
    reps |= set(
        Opportunity.objects.filter(team_id=team_id)
        .order_by()
        .values_list("owner_id", flat=True)
        .distinct()
    )
    return [
        COMPANY,
        *[Scope(ScopeKind.TEAM, team) for team in chain],
        *[Scope(ScopeKind.REP, rep) for rep in sorted(reps)],
    ]


def _add_by_month(cells, key, month: datetime.date, periods: list[Period], values: dict):
    for period in periods:
        if period.start <= month <= period.end:
            target = cells[key][period]
            for name, value in values.items():
                target[name] += value


def _forecast_cells(
    *,
    as_of: datetime.date,
    periods: list[Period],
    deal_filter: Q,
    at: datetime.datetime | None,
    groups: dict,
) -> tuple[dict, dict]:
    """Per (team, owner) and period: what is booked, the open pipeline closing in the period
    (count, amount, weighted, per category) and the model's expectation. Also per (team,
    owner): the model's stale deals."""
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    cells: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    deals = pipeline_at(at).filter(deal_filter)
    booked_until = Q(closed_on__lte=as_of) if at is None else Q(closed_on__lt=as_of)
    won = (
        deals.filter(booked_until, status=OpportunityStatus.WON, closed_on__gte=first)
        .annotate(month=TruncMonth("closed_on"))
        .values("team_id", "owner_id", "month")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    for row in won:
        key = (row["team_id"], row["owner_id"])
        _add_by_month(cells, key, row["month"], periods, {"booked": _money(row["amount"])})
    open_deals = deals.filter(status_at=OPEN)
    pipeline = (
        open_deals.filter(close_at__gte=first, close_at__lte=last)
        .annotate(month=TruncMonth("close_at", output_field=DateField()))
        .values("team_id", "owner_id", "month", "category_at")
        .annotate(count=Count("pk"), amount=Sum("amount_at"), weighted=_weighted_sum())
        .order_by()
    )
    for row in pipeline:
        key = (row["team_id"], row["owner_id"])
        amount = _money(row["amount"])
        values = {
            "deals": row["count"],
            "open_amount": amount,
            "weighted": Decimal(row["weighted"] or 0) / HUNDRED,
        }
        if row["category_at"] in FORECAST_CATEGORIES:
            values[row["category_at"]] = amount
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        _add_by_month(cells, key, month, periods, values)
    stream = open_deals.values_list(
        "team_id",
        "owner_id",
        "stage_at",
        "amount_at",
        "probability_at",
        "close_at",
        "entered_at",
    ).order_by()
    model_deals = (
        OpenDeal(
            amount=float(amount),
            stage=stage_id,
            entered_on=timezone.localtime(entered_at).date(),
            probability=probability,
            expected_close_date=close,
            group=(team_id, owner_id),
        )
        for team_id, owner_id, stage_id, amount, probability, close, entered_at in stream.iterator(
            chunk_size=5000
        )
    )
    lookup = statistics.calibration_lookup(groups, team_of=lambda deal: deal.group[0])
    stale = {}
    for key, forecast in allocate(model_deals, lookup, periods, as_of).items():
        stale[key] = (forecast.stale_count, forecast.stale_amount)
        for period, figures in forecast.by_period.items():
            cell = cells[key][period]
            cell["expected"] += Decimal(repr(figures.expected))
            cell["variance"] += Decimal(repr(figures.variance))
            cell["model_deals"] += figures.deals
    return cells, stale


def _scope_totals(cells: dict, stale: dict, scopes: list[Scope], chains: dict) -> dict:
    """Roll the (team, owner) cells up into each scope: a team takes its whole subtree."""
    wanted = set(scopes)
    totals: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: ZERO)))
    stale_totals: dict = defaultdict(lambda: [0, 0.0])
    for key in set(cells) | set(stale):
        team_id, owner_id = key
        owners = [COMPANY, Scope(ScopeKind.REP, owner_id)]
        owners += [Scope(ScopeKind.TEAM, team) for team in chains.get(team_id, [team_id])]
        for scope in owners:
            if scope not in wanted:
                continue
            for period, values in cells.get(key, {}).items():
                for name, value in values.items():
                    totals[scope][period][name] += value
            count, amount = stale.get(key, (0, 0.0))
            stale_totals[scope][0] += count
            stale_totals[scope][1] += amount
    return totals, stale_totals


def _targets(scopes: list[Scope], periods: list[Period], chains: dict) -> dict:
    """Each scope's target for each period, as the dashboards read it (forecasting.selectors):
    a rep's own targets; a team's own target per month, else the sum of the people in its
    subtree; the company's top-level team targets per month, else everyone's. None when no
    month of the period has one."""
    months = sorted({month for period in periods for month in period.months()})
    team_targets = defaultdict(dict)
    for team_id, month, amount in Target.objects.filter(
        team__isnull=False, month__in=months
    ).values_list("team_id", "month", "amount"):
        team_targets[month][team_id] = amount
    user_targets = defaultdict(lambda: defaultdict(lambda: ZERO))  # month -> scope -> total
    for user_id, team_id, month, amount in Target.objects.filter(
        user__isnull=False, month__in=months
    ).values_list("user_id", "user__team_id", "month", "amount"):
        user_targets[month][COMPANY] += amount
        user_targets[month][Scope(ScopeKind.REP, user_id)] += amount
        for team in chains.get(team_id, []) if team_id else []:
            user_targets[month][Scope(ScopeKind.TEAM, team)] += amount
    top_level = {team for team, chain in chains.items() if len(chain) == 1}

    def month_target(scope: Scope, month: datetime.date) -> Decimal | None:
        own = team_targets.get(month, {})
        if scope.kind == ScopeKind.TEAM and scope.id in own:
            return own[scope.id]
        if scope.kind == ScopeKind.COMPANY:
            tops = [amount for team, amount in own.items() if team in top_level]
            if tops:
                return sum(tops, ZERO)
        return user_targets.get(month, {}).get(scope)

    targets = {}
    for scope in scopes:
        for period in periods:
            found = [month_target(scope, month) for month in period.months()]
            found = [amount for amount in found if amount is not None]
            targets[(scope, period)] = _money(sum(found, ZERO)) if found else None
    return targets


def _as_number(value) -> float:
    return float(_money(value))


def _run_rows(scope: Scope, period: Period, values: dict, stale, target, as_of) -> list:
    booked = _money(values["booked"])
    weighted = _money(values["weighted"])
    commit, best_case = _money(values["commit"]), _money(values["best_case"])
    expected = _money(values["expected"])
    spread = Decimal(str(Z_80)) * values["variance"].sqrt() if values["variance"] > 0 else ZERO
    low = booked + max(expected - _money(spread), ZERO)
    high = booked + expected + _money(spread)
    common = {
        "scope": scope.kind,
        "team_id": scope.id if scope.kind == ScopeKind.TEAM else None,
        "owner_id": scope.id if scope.kind == ScopeKind.REP else None,
        "period_kind": period.kind,
        "period_start": period.start,
        "period_end": period.end,
        "as_of": as_of,
        "target": target,
    }
    return [
        ForecastRun(
            method=ForecastMethod.STAGE_WEIGHTED,
            amount=booked + weighted,
            figures={
                "booked": _as_number(booked),
                "weighted": _as_number(weighted),
                "pipeline": _as_number(values["open_amount"]),
                "deals": int(values["deals"]),
            },
            **common,
        ),
        ForecastRun(
            method=ForecastMethod.HISTORICAL,
            amount=booked + expected,
            figures={
                "booked": _as_number(booked),
                "expected": _as_number(expected),
                "low": _as_number(low),
                "high": _as_number(high),
                "deals": int(values["model_deals"]),
                "stale_deals": int(stale[0]),
                "stale_amount": _as_number(stale[1]),
            },
            **common,
        ),
        ForecastRun(
            method=ForecastMethod.CATEGORY,
            amount=booked + commit,
            figures={
                "booked": _as_number(booked),
                "commit": _as_number(commit),
                "best_case": _as_number(best_case),
                "pipeline": _as_number(values[ForecastCategory.PIPELINE]),
                "best_case_total": _as_number(booked + commit + best_case),
            },
            **common,
        ),
    ]


def _all_scopes(cells: dict, periods: list[Period]) -> list[Scope]:
    months = sorted({month for period in periods for month in period.months()})
    teams = Team.objects.exclude(kind=TeamKind.PRESALES).values_list("pk", flat=True)
    reps = {owner for _team, owner in cells}
    reps |= set(
        Target.objects.filter(user__isnull=False, month__in=months).values_list(
            "user_id", flat=True
        )
    )
    return [
        COMPANY,
        *[Scope(ScopeKind.TEAM, team) for team in sorted(teams)],
        *[Scope(ScopeKind.REP, rep) for rep in sorted(reps)],
    ]


def _deal_filter(scopes: list[Scope], chains: dict) -> Q:
    if COMPANY in scopes:
        return Q()
    condition = Q(pk__in=[])
    teams = {scope.id for scope in scopes if scope.kind == ScopeKind.TEAM}
    if teams:
        inside = [team for team, chain in chains.items() if teams & set(chain)]
        condition |= Q(team_id__in=inside)
    reps = [scope.id for scope in scopes if scope.kind == ScopeKind.REP]
    if reps:
        condition |= Q(owner_id__in=reps)
    return condition


def forecasts_recompute(
    *,
    as_of: datetime.date | None = None,
    scopes: list[Scope | tuple] | None = None,
    reconstruct: bool = False,
    groups: dict | None = None,
) -> int:
    """Replace the forecasts made as of `as_of` (today by default) for some scopes (Scope or
    (kind, id) pairs) or all (the company, every sales team and region, every rep with deals
    or a target): this month and the next two, this quarter and the next, by the three
    methods, with the scope's target.

    With `reconstruct`, the pipeline is the one that stood at the start of `as_of` (the
    backfill's past forecasts) and `groups` the calibration known then; otherwise the deals as
    they are now and the stored stage statistics. Returns the number of rows written."""
    as_of = as_of or timezone.localdate()
    periods = period_helpers.forecast_periods(as_of)
    chains = statistics.team_chains()
    wanted = None
    if scopes is not None:
        wanted = [scope if isinstance(scope, Scope) else Scope(*scope) for scope in scopes]
    at = _start_of(as_of) if reconstruct else None
    if groups is None:
        groups = statistics.stored_groups()
    cells, stale = _forecast_cells(
        as_of=as_of,
        periods=periods,
        deal_filter=_deal_filter(wanted, chains) if wanted is not None else Q(),
        at=at,
        groups=groups,
    )
    wanted = wanted if wanted is not None else _all_scopes(cells, periods)
    totals, stale_totals = _scope_totals(cells, stale, wanted, chains)
    targets = _targets(wanted, periods, chains)
    empty = defaultdict(lambda: ZERO)
    rows = []
    for scope in wanted:
        for period in periods:
            rows += _run_rows(
                scope,
                period,
                totals.get(scope, {}).get(period, empty),
                stale_totals.get(scope, (0, 0.0)),
                targets[(scope, period)],
                as_of,
            )
    with transaction.atomic():
        existing = ForecastRun.objects.filter(as_of=as_of)
        if scopes is not None:
            existing = existing.filter(_scope_condition(wanted))
        existing.delete()
        ForecastRun.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _scope_condition(scopes: list[Scope]) -> Q:
    condition = Q(pk__in=[])
    if COMPANY in scopes:
        condition |= Q(scope=ScopeKind.COMPANY)
    teams = [scope.id for scope in scopes if scope.kind == ScopeKind.TEAM]
    reps = [scope.id for scope in scopes if scope.kind == ScopeKind.REP]
    if teams:
        condition |= Q(scope=ScopeKind.TEAM, team_id__in=teams)
    if reps:
        condition |= Q(scope=ScopeKind.REP, owner_id__in=reps)
    return condition


# History backfill -------------------------------------------------------------------------


def history_backfill(*, days: int = 180, today: datetime.date | None = None) -> dict:
    """Rebuild the past: a funnel snapshot for each of the last `days` days, the rep months
    they cover, the stage statistics, and forecasts as of the first day of each past month in
    the window, each made with what was known at the start of that day (the stage history
    before it calibrates the model, so no later outcome leaks in). Then today's snapshot and
    forecasts. Idempotent: each day's rows are replaced."""
    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=days)
    snapshot_rows = 0
    day = first_day
    while day <= today:
        snapshot_rows += snapshots_recompute(day=day)
        day += datetime.timedelta(days=1)
    months = period_helpers.month_starts(first_day, today)
    rep_months = rep_months_recompute(months=months)
    statistic_rows = statistics_recompute(today=today)
    chains = statistics.team_chains()
    forecast_rows = 0
    past_months = [month for month in months if first_day <= month < today]
    for month in past_months:
        groups = statistics.calibrate_groups(
            statistics.deal_histories(before=_start_of(month)),
            chains,
            censor_at=_start_of(month),
        )
        forecast_rows += forecasts_recompute(as_of=month, reconstruct=True, groups=groups)
    forecast_rows += forecasts_recompute(as_of=today)
    return {
        "snapshots": snapshot_rows,
        "rep_months": rep_months,
        "statistics": statistic_rows,
        "forecasts": forecast_rows,
        "forecast_days": len(past_months) + 1,
    }


# Recompute now ----------------------------------------------------------------------------

# The steps of each kind of run, in order; `JobRun.step` holds the key of the step running.
JOB_STEPS = {
    JobKind.SNAPSHOTS: ["snapshots", "statistics", "rep_months"],
    JobKind.FORECASTS: ["forecasts"],
    JobKind.ALERTS: ["alerts"],
    JobKind.ALL: ["snapshots", "statistics", "rep_months", "forecasts", "alerts"],
}
STEP_LABELS = {
    "snapshots": _("Funnel snapshots"),
    "statistics": _("Stage statistics"),
    "rep_months": _("Rep scorecards"),
    "forecasts": _("Forecasts"),
    "alerts": _("Alert scan"),
    "done": _("Done"),
}


def job_step_run(step: str) -> None:
    """Run one step of a recompute, for every team and rep."""
    if step == "snapshots":
        snapshots_recompute()
    elif step == "statistics":
        statistics_recompute()
    elif step == "rep_months":
        rep_months_recompute()
    elif step == "forecasts":
        forecasts_recompute()
    elif step == "alerts":
        from .alerts import alerts_scan  # written alongside; imported when first needed

        alerts_scan()
    else:
        raise ValueError(step)


def job_run_start(*, kind: str, by: User) -> JobRun:
    """An admin's "recompute now": record the run and queue it after commit. While a run of
    the same kind is queued or running, that run is returned instead of a second one."""
    if not by.is_admin:
        raise PermissionRefused(_("Only administrators recompute deal control by hand."))
    if kind not in JobKind.values:
        raise ValueError(kind)
    with transaction.atomic():
        # Lock the starter's row so that two clicks of the same admin do not both create one.
        User.objects.select_for_update().filter(pk=by.pk).values_list("pk").get()
        running = JobRun.objects.filter(
            kind=kind, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).first()
        if running is not None:
            return running
        job = JobRun.objects.create(kind=kind, started_by=by)
        from .tasks import run_job

        job_id = job.pk
        transaction.on_commit(lambda: run_job.delay(job_id=job_id))
    return job


def job_run_progress(*, job_id: int, done_steps: int, step: str) -> None:
    job = JobRun.objects.only("kind").get(pk=job_id)
    total = len(JOB_STEPS[job.kind])
    JobRun.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, step=step, progress=min(100 * done_steps // total, 99)
    )


def job_run_finish(*, job_id: int, error: str = "") -> None:
    if error:
        JobRun.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=error, finished_at=timezone.now()
        )
        return
    JobRun.objects.filter(pk=job_id).update(
        status=JobStatus.DONE, progress=100, step="done", error="", finished_at=timezone.now()
    )
