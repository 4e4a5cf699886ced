"""Reads for the deal-control dashboards and the API, scoped by the visibility rule first
(DESIGN.md, "Visibility"). They read the stored rows that the background jobs write
(FunnelSnapshot, StageStatistic, RepMonth, ForecastRun, Alert) and the salesops targets; none of
them scans the opportunities, so a dashboard costs the same few queries whatever the pipeline's
size.

A dashboard asks for a Scope first (`scope_for`): the company, a team with its whole subtree, or
one rep. Only admins see the company's figures: a region manager leads a subtree, and the
company totals would tell them about the regions they do not lead. A manager may pick any team
of the subtrees they lead and any rep in them; a rep sees only themselves.

Money comes back as Decimal; rates (win rate, conversion) as Decimal fractions to four places;
percentages (`*_pct`, `ape`, `mape`) as floats to one place.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import Case, Count, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.choices import Role
from salesops.exceptions import PermissionRefused
from salesops.models import Target, Team, User
from salesops.selectors import user_ids_visible_to, user_list_visible_to

from .choices import (
    AlertKind,
    AlertStatus,
    ForecastMethod,
    PeriodKind,
    ScopeKind,
    Severity,
    SubjectKind,
)
from .models import Alert, ForecastRun, FunnelSnapshot, RepMonth
from .periods import add_months, month_start, month_starts, period_bounds

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
RATIO = Decimal("0.0001")
UNRESOLVED = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
LEADER_ROLES = (Role.MANAGER, Role.PRESALES_LEAD)


# Scope -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: str  # ScopeKind
    team: Team | None  # for "team": the team; its whole subtree counts
    owner: User | None  # for "rep"
    label: str

    @property
    def team_id(self) -> int | None:
        return self.team.pk if self.team else None

    @property
    def owner_id(self) -> int | None:
        return self.owner.pk if self.owner else None


def company_scope() -> Scope:
    return Scope(ScopeKind.COMPANY, None, None, _("Company"))


def team_scope(team: Team) -> Scope:
    return Scope(ScopeKind.TEAM, team, None, team.name)


def rep_scope(owner: User) -> Scope:
    return Scope(ScopeKind.REP, None, owner, owner.get_full_name())


def team_list_managed_by(user: User) -> QuerySet[Team]:
    """The teams whose figures a user may read: every team for admins, the subtrees a manager
    or presales lead leads, none for reps and engineers (their own team is only context)."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_admin:
        return Team.objects.all()
    if user.role not in LEADER_ROLES:
        return Team.objects.none()
    paths = list(Team.objects.filter(manager=user, is_active=True).values_list("path", flat=True))
    if not paths:
        return Team.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(path__startswith=path)
    return Team.objects.filter(condition)


def scope_for(user: User, *, team_id: int | None = None, owner_id: int | None = None) -> Scope:
    """The scope a user asks for, refused (PermissionRefused, 403) when they may not read it.
    A rep (owner_id) wins over a team. Without either: the company for admins, the top team a
    manager or lead leads, else the user themselves. An unknown id is refused like a hidden
    one, so that ids cannot be probed."""
    if owner_id is not None:
        owner = user_list_visible_to(user).select_related("team").filter(pk=owner_id).first()
        if owner is None:
            raise PermissionRefused(_("You cannot see this rep's figures."))
        return rep_scope(owner)
    if team_id is not None:
        team = team_list_managed_by(user).filter(pk=team_id).first()
        if team is None:
            raise PermissionRefused(_("You cannot see this team's figures."))
        return team_scope(team)
    if user.is_admin:
        return company_scope()
    if user.role in LEADER_ROLES:
        led = Team.objects.filter(manager=user, is_active=True).order_by("depth", "path").first()
        if led is not None:
            return team_scope(led)
    return rep_scope(user)


def scope_choices(user: User) -> dict:
    """What a filter form offers: the teams the user may pick (tree order, with `depth`) and
    the reps and managers they may pick (by name)."""
    teams = list(team_list_managed_by(user).filter(is_active=True).order_by("path"))
    reps = list(
        user_list_visible_to(user)
        .filter(is_active=True, role__in=[Role.REP, Role.MANAGER])
        .select_related("team")
        .order_by("name", "username")
    )
    return {"teams": teams, "reps": reps}


def _scoped(queryset: QuerySet, scope: Scope, *, team="team", owner="owner") -> QuerySet:
    """Rows of a table that carries a team and an owner, narrowed to the scope."""
    if scope.kind == ScopeKind.TEAM:
        return queryset.filter(**{f"{team}__path__startswith": scope.team.path})
    if scope.kind == ScopeKind.REP:
        return queryset.filter(**{owner: scope.owner})
    return queryset


def _runs(scope: Scope) -> QuerySet[ForecastRun]:
    """Forecasts made for exactly this scope (a team's are its own, not its children's)."""
    return ForecastRun.objects.filter(scope=scope.kind, team=scope.team, owner=scope.owner)


def _drill_url(scope: Scope, **query) -> str:
    """The opportunity list filtered to the scope and the given query."""
    if scope.kind == ScopeKind.TEAM:
        query["within_team"] = scope.team.pk
    elif scope.kind == ScopeKind.REP:
        query["owner"] = scope.owner.pk
    return f"{reverse('opportunities:list')}?{urlencode(query)}"


# Numbers and periods -----------------------------------------------------------------------


def _money(value) -> Decimal:
    """Money to the cent; floats (as stored in forecast figures) by their shortest repr."""
    value = Decimal(str(value)) if isinstance(value, float) else Decimal(value or 0)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO, rounding=ROUND_HALF_UP)


def _pct(part, whole) -> float | None:
    if part is None or not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP))


def _target(scope: Scope, months: list[datetime.date]) -> Decimal | None:
    """The scope's quota for the months. A rep's: their own targets. A team's: per month, the
    team's own target, else the sum of the targets of the people in its subtree. The company's:
    per month, the sum of the top-level teams' targets, else of everyone's. None when no
    target is set for any of the months."""
    targets = Target.objects.filter(month__in=months)
    if scope.kind == ScopeKind.REP:
        total = targets.filter(user=scope.owner).aggregate(total=Sum("amount"))["total"]
        return _money(total) if total is not None else None
    if scope.kind == ScopeKind.TEAM:
        own = targets.filter(team=scope.team)
        people = targets.filter(user__team__path__startswith=scope.team.path)
    else:
        own = targets.filter(team__depth=1)
        people = targets.filter(user__isnull=False)
    by_month = dict(own.values("month").annotate(total=Sum("amount")).values_list("month", "total"))
    for month, total in (
        people.values("month").annotate(total=Sum("amount")).values_list("month", "total")
    ):
        by_month.setdefault(month, total)
    return _money(sum(by_month.values())) if by_month else None


def _won(scope: Scope, months: list[datetime.date]) -> Decimal:
    rows = _scoped(RepMonth.objects.filter(month__in=months), scope)
    return _money(rows.aggregate(total=Sum("won_amount"))["total"])


def _latest_day(snapshots: QuerySet, day: datetime.date) -> datetime.date | None:
    return snapshots.filter(day__lte=day).aggregate(day=Max("day"))["day"]


# Funnel and coverage -----------------------------------------------------------------------


def funnel(
    scope: Scope, *, day: datetime.date | None = None, process_id: int | None = None
) -> dict:
    """The open pipeline per stage of one process as it stood on the latest snapshot day up to
    `day` (today by default), with each stage's historical conversion to a later stage and a
    link to the deals behind it. The won stage is left out: the funnel is the open pipeline."""
    from opportunities.models import SalesProcess, Stage

    from .statistics import stage_norms

    processes = SalesProcess.objects.all()
    process = (
        processes.filter(pk=process_id).first()
        if process_id is not None
        else processes.filter(is_default=True).first()
    )
    if process is None:
        return {"day": None, "process": None, "stages": [], "totals": _funnel_totals([])}
    snapshots = _scoped(FunnelSnapshot.objects.filter(process=process), scope)
    snapshot_day = _latest_day(snapshots, day or timezone.localdate())
    cells = {}
    if snapshot_day is not None:
        cells = {
            row["stage"]: row
            for row in snapshots.filter(day=snapshot_day)
            .values("stage")
            .annotate(
                count=Sum("count"), amount=Sum("amount"), weighted_amount=Sum("weighted_amount")
            )
        }
    norms_team_id = scope.team_id if scope.team else (scope.owner.team_id if scope.owner else None)
    norms = stage_norms(process_id=process.pk, team_id=norms_team_id)
    stages = []
    for stage in Stage.objects.filter(process=process).order_by("order"):
        cell = cells.get(stage.pk)
        if stage.is_won and cell is None:
            continue
        statistic = norms.get(stage.pk)
        stages.append(
            {
                "stage_id": stage.pk,
                "code": stage.code,
                "name": stage.name,
                "order": stage.order,
                "count": cell["count"] if cell else 0,
                "amount": _money(cell["amount"] if cell else 0),
                "weighted_amount": _money(cell["weighted_amount"] if cell else 0),
                "conversion_rate": statistic.conversion_rate if statistic else None,
                "drill_url": _drill_url(
                    scope, status="open", stage=stage.code, process=process.code
                ),
            }
        )
    return {
        "day": snapshot_day,
        "process": process,
        "stages": stages,
        "totals": _funnel_totals(stages),
    }


def _funnel_totals(stages: list[dict]) -> dict:
    return {
        "count": sum(stage["count"] for stage in stages),
        "amount": _money(sum(stage["amount"] for stage in stages)),
        "weighted_amount": _money(sum(stage["weighted_amount"] for stage in stages)),
    }


def coverage(scope: Scope, *, period_kind: str, period_start: datetime.date) -> dict:
    """How far the scope is from its target for the period, and how many times the open
    pipeline covers the gap. The pipeline is what the latest stage-weighted forecast of the
    period counted as open and closing in it; without such a forecast, the whole open pipeline
    of the latest funnel snapshot."""
    start, end = period_bounds(period_kind, period_start)
    months = month_starts(start, end)
    target = _target(scope, months)
    won = _won(scope, months)
    run = (
        _runs(scope)
        .filter(
            method=ForecastMethod.STAGE_WEIGHTED,
            period_kind=period_kind,
            period_start=start,
            figures__has_key="pipeline",
        )
        .order_by("-as_of")
        .first()
    )
    if run is not None:
        pipeline, source = _money(run.figures["pipeline"]), "forecast"
    else:
        snapshots = _scoped(FunnelSnapshot.objects.all(), scope)
        latest = _latest_day(snapshots, timezone.localdate())
        total = snapshots.filter(day=latest).aggregate(total=Sum("amount"))["total"]
        pipeline, source = _money(total), "snapshot"
    gap = target - won if target is not None else None
    return {
        "period": (start, end),
        "target": target,
        "won": won,
        "open_pipeline": pipeline,
        "pipeline_source": source,
        "gap": gap,
        "coverage_ratio": (
            (pipeline / gap).quantize(CENT, rounding=ROUND_HALF_UP) if gap and gap > 0 else None
        ),
    }


# Forecasts ---------------------------------------------------------------------------------


def forecast_summary(scope: Scope, *, period_kind: str, period_start: datetime.date) -> dict:
    """The latest forecast of each method for the period, against the target and what is
    booked so far. Every method is listed; one not computed yet has no amount."""
    start, end = period_bounds(period_kind, period_start)
    months = month_starts(start, end)
    runs = _runs(scope).filter(period_kind=period_kind, period_start=start)
    latest_as_of = runs.filter(method=OuterRef("method")).order_by("-as_of").values("as_of")[:1]
    latest = {run.method: run for run in runs.filter(as_of=Subquery(latest_as_of))}
    target = _target(scope, months)
    if target is None:
        stored = [run.target for run in latest.values() if run.target is not None]
        target = stored[0] if stored else None
    methods = []
    for method in ForecastMethod:
        run = latest.get(method.value)
        methods.append(
            {
                "method": method.value,
                "label": str(method.label),
                "amount": run.amount if run else None,
                "figures": run.figures if run else {},
                "as_of": run.as_of if run else None,
                "vs_target_pct": _pct(run.amount, target) if run else None,
            }
        )
    return {
        "period": (start, end),
        "target": target,
        "won": _won(scope, months),
        "methods": methods,
    }


def forecast_trend(scope: Scope, *, period_kind: str, period_start: datetime.date) -> dict:
    """Every forecast made for the period, day by day, one series per method."""
    start, end = period_bounds(period_kind, period_start)
    runs = (
        _runs(scope)
        .filter(period_kind=period_kind, period_start=start)
        .values_list("as_of", "method", "amount")
        .order_by("as_of")
    )
    amounts = {(as_of, method): amount for as_of, method, amount in runs}
    days = sorted({as_of for as_of, _method in amounts})
    return {
        "period": (start, end),
        "as_of": days,
        "series": {
            method.value: [amounts.get((day, method.value)) for day in days]
            for method in ForecastMethod
        },
        "target": _target(scope, month_starts(start, end)),
    }


def forecast_accuracy(scope: Scope, *, period_kind: str, periods: int = 6) -> dict:
    """How good each method was over the last finished periods (oldest first): the forecast
    made on the period's first day (or the earliest one made within the period) against what
    was booked (RepMonth), as an absolute percentage error, and their mean (MAPE)."""
    current, _end = period_bounds(period_kind, timezone.localdate())
    step = 3 if period_kind == PeriodKind.QUARTER else 1
    starts = [add_months(current, -step * back) for back in range(periods, 0, -1)]
    if not starts:
        return {"rows": [], "mape": {method.value: None for method in ForecastMethod}}
    first, last_end = starts[0], current - datetime.timedelta(days=1)
    booked = defaultdict(Decimal)
    for month, total in (
        _scoped(RepMonth.objects.filter(month__gte=first, month__lte=last_end), scope)
        .values("month")
        .annotate(total=Sum("won_amount"))
        .values_list("month", "total")
    ):
        booked[period_bounds(period_kind, month)[0]] += total
    earliest = {}
    runs = (
        _runs(scope)
        .filter(period_kind=period_kind, period_start__in=starts)
        .values_list("period_start", "method", "as_of", "amount")
        .order_by("as_of")
    )
    for start, method, as_of, amount in runs:
        if start <= as_of <= period_bounds(period_kind, start)[1]:
            earliest.setdefault((start, method), amount)
    rows, errors = [], defaultdict(list)
    for start in starts:
        actual = _money(booked.get(start))
        forecasts = {}
        for method in ForecastMethod:
            amount = earliest.get((start, method.value))
            ape = None
            if amount is not None and actual:
                ape = _pct(abs(amount - actual), actual)
                errors[method.value].append(ape)
            forecasts[method.value] = {"amount": amount, "ape": ape}
        rows.append({"period_start": start, "actual": actual, "forecasts": forecasts})
    mape = {
        method.value: (
            round(sum(errors[method.value]) / len(errors[method.value]), 1)
            if errors[method.value]
            else None
        )
        for method in ForecastMethod
    }
    return {"rows": rows, "mape": mape}


def forecast_run_list_visible_to(user: User) -> QuerySet[ForecastRun]:
    """Admins read every forecast; managers and leads the team forecasts of the subtrees they
    lead; everyone the rep forecasts of the people they see (a rep: their own)."""
    if not user.is_authenticated or not user.is_active:
        return ForecastRun.objects.none()
    if user.is_admin:
        return ForecastRun.objects.all()
    return ForecastRun.objects.filter(
        Q(scope=ScopeKind.REP, owner__in=user_ids_visible_to(user))
        | Q(scope=ScopeKind.TEAM, team__in=team_list_managed_by(user).values("pk"))
    )


# Scorecards --------------------------------------------------------------------------------


def scorecards(scope: Scope, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """One row per rep in the scope for the months from `start` to `end`: closed business,
    cycle time, activity and conversion (RepMonth), the pipeline of the latest snapshot, open
    alerts and target attainment. Six queries whatever the number of reps."""
    months = month_starts(month_start(start), end)
    if not months:
        return []
    today = timezone.localdate()
    range_end = add_months(months[-1], 1) - datetime.timedelta(days=1)
    elapsed_days = (min(range_end, today) - months[0]).days + 1

    rep_months = _scoped(RepMonth.objects.filter(month__in=months), scope)
    snapshots = _scoped(FunnelSnapshot.objects.all(), scope)
    snapshot_day = _latest_day(snapshots, today)
    latest = snapshots.filter(day=snapshot_day)

    if scope.kind == ScopeKind.REP:
        people = User.objects.filter(pk=scope.owner.pk)
    else:
        current = Q(is_active=True, role=Role.REP)
        if scope.kind == ScopeKind.TEAM:
            current &= Q(team__path__startswith=scope.team.path)
        people = User.objects.filter(
            current | Q(pk__in=rep_months.values("owner")) | Q(pk__in=latest.values("owner"))
        )
    people = list(people.select_related("team").order_by("name", "username"))

    closed = {
        row["owner"]: row
        for row in rep_months.values("owner").annotate(
            won_amount=Sum("won_amount"),
            won_count=Sum("won_count"),
            lost_count=Sum("lost_count"),
            cycle_days=Sum("cycle_days_total"),
            activities=Sum("activities_count"),
            advances=Sum("advances_count"),
            exits=Sum("stage_exits_count"),
        )
    }
    pipelines = {
        row["owner"]: row
        for row in latest.values("owner").annotate(
            amount=Sum("amount"), weighted=Sum("weighted_amount")
        )
    }
    alerts = dict(
        alerts_in_scope(scope)
        .filter(status__in=UNRESOLVED, owner__isnull=False)
        .values("owner")
        .annotate(total=Count("pk"))
        .values_list("owner", "total")
    )
    targets = dict(
        Target.objects.filter(user__in=[person.pk for person in people], month__in=months)
        .values("user")
        .annotate(total=Sum("amount"))
        .values_list("user", "total")
    )
    list_url = reverse("opportunities:list")
    rows = []
    for person in people:
        month = closed.get(person.pk, {})
        pipeline = pipelines.get(person.pk, {})
        won_count = month.get("won_count") or 0
        lost_count = month.get("lost_count") or 0
        activities = month.get("activities") or 0
        target = _money(targets[person.pk]) if person.pk in targets else None
        won_amount = _money(month.get("won_amount"))
        rows.append(
            {
                "owner": person,
                "team": person.team,
                "pipeline": _money(pipeline.get("amount")),
                "weighted_pipeline": _money(pipeline.get("weighted")),
                "won_amount": won_amount,
                "won_count": won_count,
                "lost_count": lost_count,
                "win_rate": _ratio(won_count, won_count + lost_count),
                "avg_cycle_days": (
                    (Decimal(month["cycle_days"]) / won_count).quantize(TENTH, ROUND_HALF_UP)
                    if won_count
                    else None
                ),
                "activities_per_week": (
                    (Decimal(activities) * 7 / elapsed_days).quantize(TENTH, ROUND_HALF_UP)
                    if elapsed_days > 0
                    else None
                ),
                "stage_conversion": _ratio(month.get("advances") or 0, month.get("exits") or 0),
                "open_alerts": alerts.get(person.pk, 0),
                "target": target,
                "attainment_pct": _pct(won_amount, target),
                "drill_url": f"{list_url}?{urlencode({'status': 'open', 'owner': person.pk})}",
            }
        )
    return rows


# Alerts ------------------------------------------------------------------------------------


def alert_list_visible_to(user: User) -> QuerySet[Alert]:
    """Admins see every alert. A manager: the alerts of the teams they lead and below and of
    the people in them. A presales lead: the same for their presales teams (engineers
    over-booked), and the alerts on resource requests once submitted (they run the dispatch).
    A rep or engineer: their own."""
    if not user.is_authenticated or not user.is_active:
        return Alert.objects.none()
    if user.is_admin:
        return Alert.objects.all()
    condition = Q(owner=user)
    if user.role in LEADER_ROLES:
        condition |= Q(team__in=team_list_managed_by(user).values("pk")) | Q(
            owner__in=user_ids_visible_to(user)
        )
    if user.role == Role.PRESALES_LEAD:
        condition |= Q(subject_kind=SubjectKind.REQUEST, request__submitted_at__isnull=False)
    return Alert.objects.filter(condition)


def most_severe_first(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Critical alerts first, then warnings, then the rest; the latest first within each."""
    rank = Case(
        When(severity=Severity.CRITICAL, then=Value(0)),
        When(severity=Severity.WARNING, then=Value(1)),
        default=Value(2),
    )
    return alerts.order_by(rank, "-last_seen_at", "-pk")


def alerts_in_scope(scope: Scope) -> QuerySet[Alert]:
    """The alerts about a scope: a team's (its subtree's, or raised on its people), a rep's."""
    alerts = Alert.objects.all()
    if scope.kind == ScopeKind.TEAM:
        path = scope.team.path
        return alerts.filter(Q(team__path__startswith=path) | Q(owner__team__path__startswith=path))
    if scope.kind == ScopeKind.REP:
        return alerts.filter(owner=scope.owner)
    return alerts


def alert_counts(scope: Scope) -> dict:
    """Unresolved alerts of the scope, for the dashboard badge: in total, still waiting for
    acknowledgement ("open"), and by severity and by rule (every value present, zero or not)."""
    by_severity = dict.fromkeys(Severity.values, 0)
    by_kind = dict.fromkeys(AlertKind.values, 0)
    total = waiting = 0
    rows = (
        alerts_in_scope(scope)
        .filter(status__in=UNRESOLVED)
        .values("severity", "kind", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        total += row["count"]
        if row["status"] == AlertStatus.OPEN:
            waiting += row["count"]
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + row["count"]
        by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + row["count"]
    return {"total": total, "open": waiting, "by_severity": by_severity, "by_kind": by_kind}
