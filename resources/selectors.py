"""Reads of presales resources, scoped by the visibility rule first (DESIGN.md, "Visibility"):
- a rep or manager sees the requests on the deals they see (and their own);
- a presales lead sees every request once submitted (they run the dispatch) and their own;
- a presales engineer sees the requests they are assigned to (and their own);
- an admin sees all.
The reports return plain dicts and lists of Decimals that pages and the API render."""

import datetime
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from opportunities.choices import OpportunityStatus
from opportunities.selectors import opportunity_list_visible_to
from salesops.choices import Role, TeamKind
from salesops.models import Team, User
from salesops.selectors import team_ids_visible_to, team_list_visible_to

from .capacity import CENT, Calendar, working_days
from .choices import RequestStatus, RequestType, TechOutcome
from .models import (
    Assignment,
    DayOff,
    EngineerProfile,
    RequestTransition,
    ResourceRequest,
    TimeEntry,
)

S = RequestStatus
RATIO = Decimal("0.0001")
ZERO = Decimal(0)
COST = ExpressionWrapper(
    F("hours") * F("cost_rate"), output_field=DecimalField(max_digits=20, decimal_places=4)
)


def _round(value: Decimal, places: Decimal = CENT) -> Decimal:
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator to four places, or None when there is nothing to divide by."""
    return _round(Decimal(numerator) / Decimal(denominator), RATIO) if denominator else None


def _is_lead(user: User) -> bool:
    return user.is_admin or user.role == Role.PRESALES_LEAD


# Visibility ------------------------------------------------------------------------------


def request_list_visible_to(user: User) -> QuerySet[ResourceRequest]:
    if not user.is_authenticated or not user.is_active:
        return ResourceRequest.objects.none()
    if user.is_admin:
        return ResourceRequest.objects.all()
    condition = Q(requester=user)
    if user.role == Role.PRESALES_LEAD:
        condition |= Q(submitted_at__isnull=False)
    elif user.role == Role.PRESALES_ENGINEER:
        mine = Assignment.objects.filter(engineer__user=user).values("request_id")
        condition |= Q(pk__in=mine)
    else:
        condition |= Q(opportunity__in=opportunity_list_visible_to(user))
    return ResourceRequest.objects.filter(condition)


def engineer_list_visible_to(user: User) -> QuerySet[EngineerProfile]:
    """Admins see every engineer, a presales lead those of the teams they lead, an engineer
    themselves; sales roles none."""
    if not user.is_authenticated or not user.is_active:
        return EngineerProfile.objects.none()
    if user.is_admin:
        return EngineerProfile.objects.all()
    if user.role == Role.PRESALES_LEAD:
        return EngineerProfile.objects.filter(
            Q(user__team__in=team_ids_visible_to(user)) | Q(user=user)
        )
    return EngineerProfile.objects.filter(user=user)


def with_request_relations(queryset: QuerySet[ResourceRequest]) -> QuerySet[ResourceRequest]:
    return queryset.select_related(
        "opportunity__account", "opportunity__stage", "opportunity__owner", "requester"
    )


def approval_queue(user: User) -> QuerySet[ResourceRequest]:
    """Submitted and approved requests, highest priority first: what a presales lead decides
    and dispatches, in the order the merit of the deals sets."""
    if not user.is_authenticated or not user.is_active or not _is_lead(user):
        return ResourceRequest.objects.none()
    return with_request_relations(
        ResourceRequest.objects.filter(status__in=(S.SUBMITTED, S.APPROVED))
    ).order_by("-priority_score", "submitted_at", "pk")


def awaiting(user: User) -> dict[str, QuerySet[ResourceRequest]]:
    """What waits for the user, for their home page: their drafts to submit and done requests
    to evaluate; for a lead, the requests to approve and to dispatch; for an engineer, the
    requests to start and those in progress (to log hours on and complete)."""
    none = ResourceRequest.objects.none()
    if not user.is_authenticated or not user.is_active:
        return dict.fromkeys(
            ("drafts", "to_evaluate", "to_approve", "to_dispatch", "to_start", "in_progress"),
            none,
        )
    mine = with_request_relations(ResourceRequest.objects.filter(requester=user))
    queue = approval_queue(user)
    assigned = with_request_relations(
        ResourceRequest.objects.filter(
            pk__in=Assignment.objects.filter(engineer__user=user).values("request_id")
        )
    ).order_by("wanted_start", "pk")
    return {
        "drafts": mine.filter(status=S.DRAFT).order_by("-created_at"),
        "to_evaluate": mine.filter(status=S.DONE).order_by("completed_at"),
        "to_approve": queue.filter(status=S.SUBMITTED),
        "to_dispatch": queue.filter(status=S.APPROVED),
        "to_start": assigned.filter(status=S.DISPATCHED),
        "in_progress": assigned.filter(status=S.IN_PROGRESS),
    }


def transition_recipients(step: RequestTransition) -> list[User]:
    """Who hears of a status change by e-mail: the presales leads of a submission; the
    requester of an approval, rejection or dispatch; the engineers of a dispatch, an
    evaluation or a cancellation. Not the person who made it; only people with an address."""
    request = step.request
    engineers = User.objects.filter(engineer_profile__assignments__request=request)
    if step.to_status == S.SUBMITTED:
        users = User.objects.filter(role=Role.PRESALES_LEAD)
    elif step.to_status in (S.APPROVED, S.REJECTED):
        users = User.objects.filter(pk=request.requester_id)
    elif step.to_status == S.DISPATCHED:
        users = User.objects.filter(Q(pk=request.requester_id) | Q(pk__in=engineers.values("pk")))
    elif step.to_status in (S.EVALUATED, S.CANCELLED):
        users = engineers
    else:
        return []
    return list(
        users.filter(is_active=True)
        .exclude(email="")
        .exclude(pk=step.by_id)
        .distinct()
        .order_by("username")
    )


# One request -----------------------------------------------------------------------------


def priority_factors(request: ResourceRequest) -> list[dict]:
    """The priority explained, one row per factor of the product, for the request page."""
    explained = request.priority_explanation or {}
    if not explained:
        return []
    tier_label = _("tier %(tier)s") % {"tier": explained["tier"]}
    stage_detail = _("stage %(order)s (first %(first)s, last open %(last)s)") % {
        "order": explained["stage_order"],
        "first": explained["first_stage_order"],
        "last": explained["last_open_stage_order"],
    }
    source = (
        _("expected close date")
        if explained["deadline_source"] == "close_date"
        else _("wanted end")
    )
    deadline_detail = _("%(date)s (%(source)s), %(days)s days left") % {
        "date": explained["deadline"],
        "source": source,
        "days": explained["days_left"],
    }
    return [
        {
            "factor": "amount",
            "label": _("Deal amount"),
            "value": Decimal(explained["amount"]),
            "detail": explained["currency"],
        },
        {
            "factor": "probability",
            "label": _("Win probability"),
            "value": Decimal(explained["probability"]),
            "detail": f"{Decimal(explained['probability']) * 100:.0f} %",
        },
        {
            "factor": "tier_weight",
            "label": _("Account tier weight"),
            "value": Decimal(explained["tier_weight"]),
            "detail": tier_label,
        },
        {
            "factor": "stage_urgency",
            "label": _("Stage urgency"),
            "value": Decimal(explained["stage_urgency"]),
            "detail": stage_detail,
        },
        {
            "factor": "deadline_closeness",
            "label": _("Deadline closeness"),
            "value": Decimal(explained["deadline_closeness"]),
            "detail": deadline_detail,
        },
    ]


def request_hours(request: ResourceRequest) -> dict:
    """Planned against logged hours, per assignment and in total, with the cost."""
    assignments = (
        request.assignments.select_related("engineer__user")
        .annotate(
            logged=Sum("time_entries__hours"),
            cost=Sum(
                F("time_entries__hours") * F("time_entries__cost_rate"),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            ),
        )
        .order_by("start", "pk")
    )
    rows = [
        {
            "assignment": assignment,
            "engineer": assignment.engineer,
            "planned_hours": assignment.planned_hours,
            "logged_hours": _round(assignment.logged or ZERO),
            "remaining_hours": assignment.planned_hours - _round(assignment.logged or ZERO),
            "cost": _round(assignment.cost or ZERO),
        }
        for assignment in assignments
    ]
    return {
        "estimated_hours": request.estimated_hours,
        "planned_hours": sum((row["planned_hours"] for row in rows), ZERO),
        "logged_hours": sum((row["logged_hours"] for row in rows), ZERO),
        "cost": sum((row["cost"] for row in rows), ZERO),
        "assignments": rows,
    }


def opportunity_presales_effort(opportunity) -> dict:
    """Presales hours and cost spent on one deal, across its requests."""
    totals = TimeEntry.objects.filter(assignment__request__opportunity=opportunity).aggregate(
        total_hours=Sum("hours"), total_cost=Sum(COST)
    )
    return {
        "hours": _round(totals["total_hours"] or ZERO),
        "cost": _round(totals["total_cost"] or ZERO),
    }


# Days off --------------------------------------------------------------------------------


def _next_working_day(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def day_off_ranges(engineer: EngineerProfile, *, since: datetime.date | None = None) -> list[dict]:
    """The engineer's days off from `since` on (all by default), as ranges of consecutive
    working days with the same reason (a weekend does not break a range): start, end, the
    number of days and the reason."""
    days = DayOff.objects.filter(engineer=engineer).order_by("date")
    if since is not None:
        days = days.filter(date__gte=since)
    ranges: list[dict] = []
    for day, reason in days.values_list("date", "reason"):
        last = ranges[-1] if ranges else None
        if last and last["reason"] == reason and _next_working_day(last["end"]) >= day:
            last["end"], last["days"] = day, last["days"] + 1
        else:
            ranges.append({"start": day, "end": day, "days": 1, "reason": reason})
    return ranges


# Load ------------------------------------------------------------------------------------


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def engineer_load(
    *, team: Team, weeks: int = 4, start: datetime.date | None = None
) -> dict[str, list]:
    """Booked against available hours of each active engineer of a team (and the teams below
    it), per ISO week from the week of `start` (today by default), with the hours logged and
    the days off (which the available hours leave out). A week booked beyond what is
    available is flagged: over-booking is visible here."""
    first_monday = _monday(start or timezone.localdate())
    week_list = []
    for index in range(weeks):
        monday = first_monday + datetime.timedelta(weeks=index)
        year, number, _weekday = monday.isocalendar()
        week_list.append(
            {
                "year": year,
                "week": number,
                "start": monday,
                "end": monday + datetime.timedelta(days=6),
            }
        )
    engineers = list(
        EngineerProfile.objects.filter(
            is_active=True, user__is_active=True, user__team__path__startswith=team.path
        )
        .select_related("user__team")
        .order_by("user__team__path", "user__username")
    )
    if not engineers or not week_list:
        return {"weeks": week_list, "engineers": []}
    period_start, period_end = week_list[0]["start"], week_list[-1]["end"]
    calendar = Calendar(engineers, period_start, period_end)
    logged = defaultdict(lambda: Decimal("0.00"))
    for engineer_id, day, hours in (
        TimeEntry.objects.filter(
            assignment__engineer__in=engineers, date__range=(period_start, period_end)
        )
        .values("assignment__engineer_id", "date")
        .annotate(hours=Sum("hours"))
        .values_list("assignment__engineer_id", "date", "hours")
    ):
        logged[(engineer_id, _monday(day))] += _round(hours)
    rows = []
    for engineer in engineers:
        cells = []
        for week in week_list:
            available = calendar.available(engineer.pk, week["start"], week["end"])
            booked = calendar.booked(engineer.pk, week["start"], week["end"])
            days_off = sum(
                1
                for day in calendar.days_off[engineer.pk]
                if week["start"] <= day <= week["end"] and day.weekday() < 5
            )
            cells.append(
                {
                    "days_off": days_off,
                    "available": available,
                    "booked": booked,
                    "free": available - booked,
                    "logged": logged[(engineer.pk, week["start"])],
                    "is_over": booked > available,
                }
            )
        rows.append({"engineer": engineer, "weeks": cells})
    return {"weeks": week_list, "engineers": rows}


# Contribution reports --------------------------------------------------------------------


def _durations(pairs) -> dict:
    """Count, average and median in hours of (from, to) moments."""
    seconds = [Decimal(str((end - begin).total_seconds())) for begin, end in pairs]
    if not seconds:
        return {"count": 0, "average_hours": None, "median_hours": None}
    hour = Decimal(3600)
    return {
        "count": len(seconds),
        "average_hours": _round(sum(seconds) / len(seconds) / hour),
        "median_hours": _round(statistics.median(seconds) / hour),
    }


def _sla(requests: QuerySet[ResourceRequest], start: datetime.date, end: datetime.date) -> dict:
    """Submit→approve over the requests approved in the period, approve→dispatch over those
    dispatched in it."""
    approvals = requests.filter(
        approved_at__date__range=(start, end), submitted_at__isnull=False
    ).values_list("submitted_at", "approved_at")
    dispatches = requests.filter(
        dispatched_at__date__range=(start, end), approved_at__isnull=False
    ).values_list("approved_at", "dispatched_at")
    return {
        "submit_to_approve": _durations(approvals),
        "approve_to_dispatch": _durations(dispatches),
    }


def sla_report(*, user: User, start: datetime.date, end: datetime.date) -> dict:
    """How fast the presales centre answers, over the requests the user sees."""
    return _sla(request_list_visible_to(user), start, end)


def _evaluations(requests: QuerySet[ResourceRequest]) -> dict:
    totals = requests.aggregate(
        wins=Count("pk", filter=Q(tech_outcome=TechOutcome.TECH_WIN)),
        losses=Count("pk", filter=Q(tech_outcome=TechOutcome.TECH_LOSS)),
        rated=Count("rating"),
        rating_sum=Sum("rating"),
    )
    return _evaluation_figures(totals)


def _evaluation_figures(totals: dict) -> dict:
    wins, losses = totals["wins"] or 0, totals["losses"] or 0
    rated = totals["rated"] or 0
    return {
        "tech_wins": wins,
        "tech_losses": losses,
        "tech_win_rate": _ratio(wins, wins + losses),
        "evaluations": rated,
        "average_rating": _round(Decimal(totals["rating_sum"]) / rated) if rated else None,
    }


def _effort_figures(
    available: Decimal, logged: Decimal, cost: Decimal, by_type: dict, won_deals: int
) -> dict:
    return {
        "available_hours": available,
        "logged_hours": logged,
        "utilisation": _ratio(logged, available),
        "cost": _round(cost),
        "by_type": [
            {
                "kind": kind,
                "label": RequestType(kind).label,
                "hours": by_type[kind]["hours"],
                "cost": _round(by_type[kind]["cost"]),
            }
            for kind in RequestType.values
            if kind in by_type
        ],
        "won_deals": won_deals,
        "hours_per_won_deal": _round(logged / won_deals) if won_deals else None,
    }


def _available_hours(
    engineers: list[EngineerProfile], start: datetime.date, end: datetime.date
) -> dict[int, Decimal]:
    """Weekly capacity / 5 for every weekday of the period that is not a day off."""
    weekdays = working_days(start, end)
    days_off = dict(
        DayOff.objects.filter(engineer__in=engineers, date__range=(start, end))
        .exclude(date__week_day__in=(1, 7))  # Sunday and Saturday
        .values("engineer_id")
        .annotate(count=Count("pk"))
        .values_list("engineer_id", "count")
    )
    return {
        engineer.pk: _round(
            engineer.weekly_capacity_hours / 5 * (weekdays - days_off.get(engineer.pk, 0))
        )
        for engineer in engineers
    }


def _contribution_rows(
    engineers: list[EngineerProfile], start: datetime.date, end: datetime.date
) -> list[dict]:
    available = _available_hours(engineers, start, end)
    entries = TimeEntry.objects.filter(assignment__engineer__in=engineers, date__range=(start, end))
    by_type = defaultdict(dict)
    for row in entries.values("assignment__engineer_id", "assignment__request__kind").annotate(
        logged_hours=Sum("hours"), logged_cost=Sum(COST)
    ):
        by_type[row["assignment__engineer_id"]][row["assignment__request__kind"]] = {
            "hours": _round(row["logged_hours"]),
            "cost": row["logged_cost"],
        }
    won = dict(
        entries.filter(assignment__request__opportunity__status=OpportunityStatus.WON)
        .values("assignment__engineer_id")
        .annotate(deals=Count("assignment__request__opportunity", distinct=True))
        .values_list("assignment__engineer_id", "deals")
    )
    evaluations = {
        row["engineer_id"]: row
        for row in Assignment.objects.filter(
            engineer__in=engineers,
            request__status=S.EVALUATED,
            request__evaluated_at__date__range=(start, end),
        )
        .values("engineer_id")
        .annotate(
            wins=Count("pk", filter=Q(request__tech_outcome=TechOutcome.TECH_WIN)),
            losses=Count("pk", filter=Q(request__tech_outcome=TechOutcome.TECH_LOSS)),
            rated=Count("request__rating"),
            rating_sum=Sum("request__rating"),
        )
    }
    rows = []
    for engineer in engineers:
        kinds = by_type[engineer.pk]
        logged = _round(sum((row["hours"] for row in kinds.values()), ZERO))
        cost = sum((row["cost"] for row in kinds.values()), ZERO)
        no_evaluations = {"wins": 0, "losses": 0, "rated": 0, "rating_sum": None}
        rows.append(
            {
                "engineer": engineer,
                "engineer_id": engineer.pk,
                "name": str(engineer),
                "team": str(engineer.user.team or ""),
                **_effort_figures(
                    available[engineer.pk], logged, cost, kinds, won.get(engineer.pk, 0)
                ),
                **_evaluation_figures(evaluations.get(engineer.pk, no_evaluations)),
            }
        )
    return rows


def contribution_by_engineer(*, user: User, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per engineer the user may see, over the period (both days included):
    - available hours: weekly capacity / 5 per weekday that is not a day off;
    - logged hours and utilisation = logged / available;
    - cost = Σ hours × the cost rate when logged, in total and per request type;
    - won deals: distinct won deals among those the hours went to; hours per won deal =
      logged hours / won deals (what it takes in presales time to win one);
    - over the requests evaluated in the period that the engineer worked on: technical wins,
      losses, tech-win rate = wins / (wins + losses), and the average rating.
    Ratios have four places, hours and money two; None where there is nothing to divide by."""
    engineers = list(
        engineer_list_visible_to(user)
        .select_related("user__team")
        .order_by("user__team__path", "user__username")
    )
    return _contribution_rows(engineers, start, end)


def contribution_by_team(*, user: User, start: datetime.date, end: datetime.date) -> list[dict]:
    """The same figures per presales team the user leads (admins: every team), each over the
    engineers of the team and the teams below it. Won deals, evaluations and the SLA count
    each request once, however many of the team's engineers worked on it. The SLA is measured
    on the requests dispatched to the team."""
    if not user.is_authenticated or not user.is_active or not _is_lead(user):
        return []
    teams = list(
        team_list_visible_to(user).filter(kind=TeamKind.PRESALES, is_active=True).order_by("path")
    )
    engineers = list(
        EngineerProfile.objects.filter(user__team__in=[team.pk for team in teams])
        .select_related("user__team")
        .order_by("user__team__path", "user__username")
    )
    rows_by_engineer = {
        row["engineer_id"]: row for row in _contribution_rows(engineers, start, end)
    }
    report = []
    for team in teams:
        members = [
            engineer for engineer in engineers if engineer.user.team.path.startswith(team.path)
        ]
        rows = [rows_by_engineer[engineer.pk] for engineer in members]
        by_type = defaultdict(lambda: {"hours": ZERO, "cost": ZERO})
        for row in rows:
            for kind in row["by_type"]:
                by_type[kind["kind"]]["hours"] += kind["hours"]
                by_type[kind["kind"]]["cost"] += kind["cost"]
        served = ResourceRequest.objects.filter(
            pk__in=Assignment.objects.filter(engineer__in=members).values("request_id")
        )
        won_deals = (
            TimeEntry.objects.filter(
                assignment__engineer__in=members,
                date__range=(start, end),
                assignment__request__opportunity__status=OpportunityStatus.WON,
            )
            .values("assignment__request__opportunity")
            .distinct()
            .count()
        )
        report.append(
            {
                "team": team,
                "team_id": team.pk,
                "name": team.name,
                "engineers": len(members),
                **_effort_figures(
                    sum((row["available_hours"] for row in rows), ZERO),
                    sum((row["logged_hours"] for row in rows), ZERO),
                    sum((row["cost"] for row in rows), ZERO),
                    by_type,
                    won_deals,
                ),
                **_evaluations(
                    served.filter(status=S.EVALUATED, evaluated_at__date__range=(start, end))
                ),
                "sla": _sla(served, start, end),
            }
        )
    return report


HOME_ITEMS = 5
# What each role's home card lists, from selectors.awaiting().
HOME_KEYS = {
    Role.REP: ("drafts", "to_evaluate"),
    Role.MANAGER: ("drafts", "to_evaluate"),
    Role.PRESALES_LEAD: ("to_approve", "to_dispatch"),
    Role.PRESALES_ENGINEER: ("to_start", "in_progress"),
    Role.ADMIN: ("to_approve", "to_dispatch"),
}


def home_presales(*, user: User) -> dict:
    """The home page's card of what awaits the user in the presales dispatch: per list of the
    user's role, the first few requests and how many there are. Fixed number of queries."""
    if not user.is_authenticated:
        return {"presales_awaiting": []}
    role = Role.ADMIN if user.is_admin else Role(user.role)
    waiting = awaiting(user)
    labels = {
        "drafts": _("Drafts to submit"),
        "to_evaluate": _("Done: rate the support"),
        "to_approve": _("To approve"),
        "to_dispatch": _("To dispatch"),
        "to_start": _("To start"),
        "in_progress": _("In progress: log hours"),
    }
    groups = []
    for key in HOME_KEYS[role]:
        items = list(waiting[key][:HOME_ITEMS])
        total = len(items) if len(items) < HOME_ITEMS else waiting[key].count()
        groups.append({"key": key, "label": labels[key], "items": items, "total": total})
    return {"presales_awaiting": groups}


def time_entry_list_visible_to(user: User) -> QuerySet[TimeEntry]:
    """Engineers see their own hours; everyone else the hours of the requests they see."""
    entries = TimeEntry.objects.select_related("assignment__engineer__user__team")
    if not user.is_authenticated or not user.is_active:
        return entries.none()
    if user.is_admin:
        return entries
    if user.role == Role.PRESALES_ENGINEER:
        return entries.filter(assignment__engineer__user=user)
    return entries.filter(assignment__request__in=request_list_visible_to(user))
