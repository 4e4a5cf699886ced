# ruff: noqa: RUF001 (the Chinese demo text uses Chinese punctuation)
"""Demo presales resources for `manage.py seed_demo`: engineer profiles for the demo presales
engineers (skills, capacity, cost rates, days off) and a few hundred resource requests on the
demo deals, in every status, with their transitions, assignments, time logs and ratings.

How a request is made. It is drafted by the deal's owner on a day inside the deal's life
(recent days more often on open deals); anything beyond a technical exchange only after the
deal passed its ATI gate, where the gate applies. It is then simulated forward: submitted,
approved or rejected by a presales lead, dispatched to engineers whose skills match (the lead
of the first engineer's team dispatches, planned hours within the engineers' free capacity or
with the lead's reason), started on the assignment's first day, done on its last, evaluated a
few days later. A step that would fall after now leaves the request in the status before it; a
step after the deal closed, or a drawn withdrawal, cancels it. Engineers log hours on the
working days they worked (never in the future, never over 24 h an engineer-day), summing to
the planned hours within ±30 % for done work.

Why not through the services. resources.services stamps "now" and re-reads the rows on every
call; the history is back-dated, so the rows are built in memory by the rules the services
enforce and bulk-created, one row in VALIDATE_EVERY of each kind (and the first) going through
full_clean(). The priorities of the open requests are computed once at the end by
priority_refresh.

Determinism and idempotency. Everything is drawn from the generator it is given, in the order
of the deals' keys. Engineer profiles are created only for engineers without one; requests
only when no demo deal has a request yet: a second run writes nothing.
"""

import datetime
import math
import random
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from opportunities.choices import GATE_PASSED, GateKind, OpportunityStatus
from opportunities.models import Gate, GateRule, Opportunity
from salesops.choices import Role
from salesops.demo import PRESALES_TEAMS
from salesops.models import User

from .capacity import working_days
from .choices import OPEN_STATUSES, TYPES_WITHOUT_ATI, RequestStatus, RequestType, TechOutcome
from .models import (
    Assignment,
    DayOff,
    EngineerProfile,
    EngineerSkill,
    RequestTransition,
    ResourceRequest,
    Skill,
    TimeEntry,
)
from .services import NOTIFIED, REACHED_AT, priority_refresh

S = RequestStatus
CENT = Decimal("0.01")
VALIDATE_EVERY = 50
MAX_REQUESTS = 400
HISTORY_DAYS = 560  # how far back days off go: the demo deals cover 18 months

SKILLS = {
    "云架构": "公有云/私有云架构设计与迁移",
    "数据平台": "数据仓库、数据湖与 BI",
    "MES": "制造执行系统",
    "核心银行": "核心银行系统与支付",
    "网络安全": "等保合规、零信任与安全运营",
    "ERP": "ERP 实施与集成",
    "物联网": "设备接入与工业物联网",
    "AI 应用": "大模型与智能应用落地",
}
# The skills a deal of an industry most likely asks for.
INDUSTRY_SKILLS = {
    "manufacturing": ["MES", "ERP", "物联网"],
    "banking": ["核心银行", "网络安全", "数据平台"],
    "insurance": ["核心银行", "数据平台"],
    "telecom": ["云架构", "网络安全", "数据平台"],
    "energy": ["物联网", "数据平台", "网络安全"],
    "government": ["网络安全", "云架构"],
    "healthcare": ["数据平台", "网络安全"],
    "retail": ["ERP", "数据平台", "AI 应用"],
    "logistics": ["ERP", "物联网"],
    "technology": ["云架构", "AI 应用"],
}
# (type, weight, hours range, hours a working day while on it)
KINDS = [
    (RequestType.TECHNICAL_EXCHANGE, 28, (4, 12), 6),
    (RequestType.SOLUTION_DESIGN, 20, (16, 40), 5),
    (RequestType.DEMO, 16, (8, 24), 5),
    (RequestType.PROOF_OF_CONCEPT, 12, (40, 120), 5),
    (RequestType.BID_DOCUMENT, 12, (16, 48), 6),
    (RequestType.SITE_SURVEY, 5, (8, 16), 6),
    (RequestType.BENCHMARK, 4, (24, 60), 5),
    (RequestType.OTHER, 3, (4, 16), 4),
]
KIND_INFO = {kind: (hours, per_day) for kind, _weight, hours, per_day in KINDS}
JUSTIFICATIONS = {
    RequestType.TECHNICAL_EXCHANGE: "客户信息中心希望了解我们的整体方案，安排一次技术交流。",
    RequestType.SOLUTION_DESIGN: "客户已明确需求范围，需要输出针对性的解决方案设计。",
    RequestType.DEMO: "关键决策人要求看产品演示，重点展示与现有系统的集成。",
    RequestType.PROOF_OF_CONCEPT: "客户要求在其测试环境中做 POC，验证性能与兼容性。",
    RequestType.BID_DOCUMENT: "招标文件已发布，需要编写技术标书并应答技术条款。",
    RequestType.SITE_SURVEY: "需要到客户现场调研机房与网络环境。",
    RequestType.BENCHMARK: "客户要求与竞品做对比测试，需要准备测试方案与数据。",
    RequestType.OTHER: "客户提出若干技术问题，需要售前协助答复。",
}
REJECT_REASONS = [
    "商机阶段过早，请先完成技术交流。",
    "需求范围不清，请补充客户的具体场景后再提交。",
    "本期售前资源已排满，建议改为远程支持。",
]
CANCEL_REASONS = [
    "客户推迟了项目计划。",
    "客户改为线上沟通，无需现场支持。",
    "与另一张申请重复。",
    "客户内部预算调整，暂缓。",
]
DEAL_CLOSED_REASON = "商机已关闭，无需继续支持。"
RATING_COMMENTS = {
    1: "准备不足，客户不满意。",
    2: "响应较慢，方案针对性不强。",
    3: "基本满足需要。",
    4: "方案清晰，客户认可。",
    5: "非常专业，客户高度认可，推动了项目进展。",
}
OVER_CAPACITY_REASON = "客户时间窗口固定，安排加班支持。"
DAY_OFF_REASONS = ["年假", "培训", "病假", "调休"]


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _later(moment: datetime.datetime, rng: random.Random, low: float, high: float):
    """A moment some working hours/days after another, within office hours."""
    moment = timezone.localtime(moment + datetime.timedelta(days=rng.uniform(low, high)))
    if moment.hour < 9 or moment.hour >= 19:
        moment = _at(moment.date() + datetime.timedelta(days=moment.hour >= 19), 9) + (
            datetime.timedelta(minutes=rng.randrange(0, 120))
        )
    return moment


def _next_working_day(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _workdays(start: datetime.date, end: datetime.date, off: set) -> list[datetime.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and day not in off:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def _hours(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def seed_presales(*, rng: random.Random, today: datetime.date) -> dict:
    profiles = _seed_engineers(rng=rng, today=today)
    result = {"engineers": profiles, "requests": 0, "statuses": {}, "transitions": 0}
    result.update({"assignments": 0, "time_entries": 0, "hours": Decimal(0)})
    if ResourceRequest.objects.exists():
        return result
    result.update(_seed_requests(rng=rng, today=today))
    return result


# Engineers -------------------------------------------------------------------------------


def _seed_engineers(*, rng: random.Random, today: datetime.date) -> int:
    skills = {}
    for name, description in SKILLS.items():
        skill = Skill.objects.filter(name__iexact=name).first()
        if skill is None:
            skill = Skill.objects.create(name=name, description=description)
        skills[name] = skill
    engineers = list(
        User.objects.filter(
            role=Role.PRESALES_ENGINEER, username__regex=r"^engineer(\d\d)?$"
        ).order_by("username")
    )
    have = set(EngineerProfile.objects.filter(user__in=engineers).values_list("user_id", flat=True))
    created = 0
    names = list(SKILLS)
    for user in engineers:
        if user.pk in have:
            continue
        profile = EngineerProfile(
            user=user,
            weekly_capacity_hours=Decimal(rng.choice([32, 36, 40, 40])),
            cost_rate_per_hour=Decimal(rng.randrange(300, 801, 50)),
        )
        profile.full_clean()
        profile.save()
        EngineerSkill.objects.bulk_create(
            EngineerSkill(engineer=profile, skill=skills[name], level=rng.randint(1, 5))
            for name in rng.sample(names, rng.randint(2, 4))
        )
        days = set()
        for _index in range(rng.randint(4, 8)):
            day = today - datetime.timedelta(days=rng.randrange(-60, HISTORY_DAYS))
            if day.weekday() < 5:
                days.add(day)
        DayOff.objects.bulk_create(
            DayOff(engineer=profile, date=day, reason=rng.choice(DAY_OFF_REASONS))
            for day in sorted(days)
        )
        created += 1
    return created


# Requests --------------------------------------------------------------------------------


class Booker:
    """The engineers, their skills, days off and the hours booked on each working day."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.profiles = list(
            EngineerProfile.objects.filter(is_active=True, user__is_active=True)
            .select_related("user__team")
            .order_by("user__username")
        )
        self.skills = defaultdict(set)
        for level in EngineerSkill.objects.filter(engineer__in=self.profiles):
            self.skills[level.engineer_id].add(level.skill_id)
        self.off = defaultdict(set)
        for day_off in DayOff.objects.filter(engineer__in=self.profiles):
            self.off[day_off.engineer_id].add(day_off.date)
        self.booked = defaultdict(float)  # (engineer id, day) -> planned hours
        self.logged = defaultdict(float)  # (engineer id, day) -> logged hours

    def free(self, profile, days) -> float:
        daily = float(profile.daily_capacity_hours)
        return sum(
            daily - self.booked[(profile.pk, day)]
            for day in days
            if day not in self.off[profile.pk]
        )

    def choose(self, skill_ids: set, count: int, hours: float, start, end) -> list:
        matching = [p for p in self.profiles if self.skills[p.pk] & skill_ids] or self.profiles
        days = _workdays(start, end, set())
        ranked = sorted(
            matching,
            key=lambda p: (
                self.free(p, days) < hours / count,  # those with room first, as suggested
                -len(self.skills[p.pk] & skill_ids),
                -self.free(p, days),
                p.pk,
            ),
        )
        return ranked[:count]

    def book(self, profile, hours: float, start, end) -> None:
        days = _workdays(start, end, self.off[profile.pk])
        for day in days:
            self.booked[(profile.pk, day)] += hours / len(days)


def _deals():
    deals = list(Opportunity.objects.select_related("account", "owner").order_by("pk"))
    rules = {
        rule.process_id: rule for rule in GateRule.objects.filter(kind=GateKind.ATI, is_active=True)
    }
    passed = {}
    for opportunity_id, decided_at in Gate.objects.filter(
        kind=GateKind.ATI, status__in=GATE_PASSED, decided_at__isnull=False
    ).values_list("opportunity_id", "decided_at"):
        passed[opportunity_id] = min(decided_at, passed.get(opportunity_id, decided_at))
    ati = {}
    for deal in deals:
        rule = rules.get(deal.process_id)
        if rule is None or not rule.applies_to(deal):
            ati[deal.pk] = deal.created_at  # no ATI needed: any type from the start
        else:
            ati[deal.pk] = passed.get(deal.pk)  # None: a technical exchange only
    return deals, ati


def _seed_requests(*, rng: random.Random, today: datetime.date) -> dict:
    deals, ati = _deals()
    if not deals:
        return {}
    booker = Booker(rng)
    if not booker.profiles:
        return {}
    leads = {
        lead.team_id: lead
        for lead in User.objects.filter(username__in=[name for _team, name in PRESALES_TEAMS])
    }
    lead_list = sorted(leads.values(), key=lambda user: user.username)
    skill_ids = dict(Skill.objects.filter(name__in=SKILLS).values_list("name", "pk"))
    now = timezone.now()
    count = min(MAX_REQUESTS, max(1, len(deals) // 2))
    # Deals with a richer history and open ones draw more requests.
    weights = [3 if deal.status == OpportunityStatus.OPEN else 2 for deal in deals]
    picks = sorted(rng.choices(range(len(deals)), weights=weights, k=count))
    kinds, kind_weights = [k for k, *_r in KINDS], [w for _k, w, *_r in KINDS]

    requests, plans = [], []
    for index in picks:
        deal = deals[index]
        start = deal.created_at
        end = now
        if deal.closed_on:
            # Closed deals: asked for early enough to be done before the deal closed.
            closing = min(_at(deal.closed_on, 12), now)
            end = max(closing - datetime.timedelta(days=rng.uniform(20, 45)), start)
            if end == start:
                end = start + (closing - start) * 0.3
        if end <= start:
            continue
        if deal.status == OpportunityStatus.OPEN and rng.random() < 0.55:
            # Open deals: work asked for recently.
            start = max(start, now - datetime.timedelta(days=rng.uniform(0, 40)))
        created = start + (end - start) * rng.random() ** (1.5 if deal.closed_on else 1)
        created = min(max(created, deal.created_at), now)
        kind = rng.choices(kinds, weights=kind_weights)[0]
        ati_at = ati[deal.pk]
        if kind not in TYPES_WITHOUT_ATI:
            if ati_at is None:
                kind = RequestType.TECHNICAL_EXCHANGE
            elif created < ati_at:
                if ati_at >= end:
                    kind = RequestType.TECHNICAL_EXCHANGE
                else:
                    created = ati_at + (end - ati_at) * rng.random()
        (low, high), per_day = KIND_INFO[kind]
        estimated = rng.randrange(low, high + 1, 2 if low % 2 == 0 else 1)
        industry_skills = INDUSTRY_SKILLS.get(deal.account.industry) or list(SKILLS)
        wanted_skills = {
            skill_ids[name]
            for name in rng.sample(industry_skills, min(len(industry_skills), rng.randint(1, 2)))
        }
        span = max(1, math.ceil(estimated / per_day / rng.uniform(1.0, 1.6)))
        wanted_start = _next_working_day(
            created.date() + datetime.timedelta(days=rng.randint(3, 12))
        )
        wanted_end = wanted_start
        while working_days(wanted_start, wanted_end) < span:
            wanted_end += datetime.timedelta(days=1)
        request = ResourceRequest(
            opportunity=deal,
            requester=deal.owner,
            kind=kind,
            estimated_hours=Decimal(estimated),
            wanted_start=wanted_start,
            wanted_end=wanted_end,
            justification=JUSTIFICATIONS[kind],
            created_at=created,
        )
        steps = [("", S.DRAFT, deal.owner, created, "")]
        assignments = []
        _simulate(
            rng, request, deal, steps, assignments, booker, lead_list, leads, wanted_skills, now
        )
        request.version = len(steps)
        request.updated_at = steps[-1][3]
        requests.append(request)
        plans.append((wanted_skills, steps, assignments))

    # Time logs: per engineer-day, never over 24 h, never in the future.
    entries = []
    for request, (_skills, _steps, assignments) in zip(requests, plans, strict=True):
        if not request.started_at:
            continue
        stop = (request.completed_at or request.cancelled_at or now).date()
        stop = min(stop, today if request.completed_at else today - datetime.timedelta(days=1))
        for assignment in assignments:
            profile = assignment.engineer
            days = _workdays(assignment.start, min(assignment.end, stop), booker.off[profile.pk])
            if not days:
                continue
            planned = float(assignment.planned_hours)
            if request.completed_at:
                total = planned * rng.uniform(0.75, 1.25)
            else:
                worked = len(days) / max(
                    1, working_days(assignment.start, assignment.end, booker.off[profile.pk])
                )
                total = planned * min(worked, 1) * rng.uniform(0.8, 1.15)
            per_day = total / len(days)
            for day in days:
                key = (profile.pk, day)
                hours = min(round(per_day * rng.uniform(0.8, 1.2) * 2) / 2, 24 - booker.logged[key])
                hours = max(hours, 0.5) if booker.logged[key] <= 23.5 else 0
                if hours <= 0:
                    continue
                booker.logged[key] += hours
                logged_at = min(_at(day, 18, rng.randrange(0, 60)), now)
                entries.append(
                    TimeEntry(
                        assignment=assignment,
                        date=day,
                        hours=_hours(hours),
                        note=f"{request.get_kind_display()}：{deal_name(request)}",
                        cost_rate=profile.cost_rate_per_hour,
                        logged_by=profile.user,
                        logged_at=logged_at,
                    )
                )

    _validate(requests[:1] + requests[::VALIDATE_EVERY])
    ResourceRequest.objects.bulk_create(requests, batch_size=500)
    Through = ResourceRequest.skills.through
    Through.objects.bulk_create(
        Through(resourcerequest_id=request.pk, skill_id=skill_id)
        for request, (skills, _steps, _assignments) in zip(requests, plans, strict=True)
        for skill_id in sorted(skills)
    )
    transitions, assignments = [], []
    for request, (_skills, steps, request_assignments) in zip(requests, plans, strict=True):
        for from_status, to_status, by, at, note in steps:
            transitions.append(
                RequestTransition(
                    request=request,
                    from_status=from_status,
                    to_status=to_status,
                    by=by,
                    at=at,
                    note=note,
                    notified_at=at if to_status in NOTIFIED else None,
                )
            )
        for assignment in request_assignments:
            assignment.request = request
            assignments.append(assignment)
    RequestTransition.objects.bulk_create(transitions, batch_size=1000)
    _validate(assignments[:1] + assignments[::VALIDATE_EVERY])
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    for entry in entries:
        entry.assignment_id = entry.assignment.pk  # the assignment has its id now
    _validate(entries[:1] + entries[::VALIDATE_EVERY])
    TimeEntry.objects.bulk_create(entries, batch_size=1000)
    priority_refresh(
        request_ids=[request.pk for request in requests if request.status in OPEN_STATUSES],
        today=today,
    )
    statuses = Counter(request.status for request in requests)
    return {
        "requests": len(requests),
        "statuses": {status.label: statuses[status] for status in S if statuses[status]},
        "transitions": len(transitions),
        "assignments": len(assignments),
        "time_entries": len(entries),
        "hours": sum((entry.hours for entry in entries), Decimal(0)),
    }


def deal_name(request: ResourceRequest) -> str:
    return request.opportunity.name[:60]


def _validate(rows) -> None:
    for row in rows:
        row.full_clean(validate_unique=False)


def _simulate(rng, request, deal, steps, assignments, booker, lead_list, leads, skills, now):
    """Walk the request forward from its draft; stop at the first step after now."""
    owner = deal.owner
    closed = _at(deal.closed_on, 17, 30) if deal.closed_on else None
    recent = (now - request.created_at).days < 21

    def move(to, by, at, note=""):
        previous = steps[-1][1]
        steps.append((previous, to, by, at, note))
        request.status = to
        setattr(request, REACHED_AT[to], at)

    def cancelled_by_close(at) -> bool:
        """A step after the deal closed: the request is cancelled on the closing day."""
        if closed is None or at <= closed:
            return False
        cancel_at = max(closed, steps[-1][3] + datetime.timedelta(minutes=5))
        if cancel_at > now:
            return True  # stays where it is
        request.cancel_reason = DEAL_CLOSED_REASON
        move(S.CANCELLED, owner, cancel_at, DEAL_CLOSED_REASON)
        return True

    def withdraw(chance) -> bool:
        if rng.random() >= chance:
            return False
        at = _later(steps[-1][3], rng, 0.2, 4)
        if at > now or (closed and at > closed):
            return False
        reason = "" if request.status == S.DRAFT else rng.choice(CANCEL_REASONS)
        request.cancel_reason = reason
        move(S.CANCELLED, owner, at, reason)
        return True

    # Draft -> submitted (some drafts stay, recent ones more often).
    if recent and rng.random() < 0.25:
        return
    if withdraw(0.03):
        return
    at = _later(request.created_at, rng, 0.02, 1.5)
    if at > now or cancelled_by_close(at):
        return
    move(S.SUBMITTED, owner, at)

    # Submitted -> approved or rejected by a lead.
    count = 2 if request.estimated_hours >= 40 else 1
    engineers = booker.choose(skills, count, float(request.estimated_hours), *_window(request))
    lead = leads.get(engineers[0].user.team_id) or lead_list[0]
    if withdraw(0.03):
        return
    at = _later(at, rng, 0.1, 2.5)
    if at > now or cancelled_by_close(at):
        return
    if rng.random() < 0.08:
        reason = rng.choice(REJECT_REASONS)
        request.reject_reason = reason
        move(S.REJECTED, lead, at, reason)
        return
    move(S.APPROVED, lead, at)

    # Approved -> dispatched: the engineers booked on the wanted window.
    if withdraw(0.03):
        return
    at = _later(at, rng, 0.1, 2)
    if at > now or cancelled_by_close(at):
        return
    if at.date() >= request.wanted_start:
        # Late dispatch: the window moves with it, as the lead would plan it.
        shift = _next_working_day(at.date() + datetime.timedelta(days=1)) - request.wanted_start
        request.wanted_start += shift
        request.wanted_end += shift
    share = float(request.estimated_hours) / len(engineers)
    over_any = False
    for profile in engineers:
        days = _workdays(request.wanted_start, request.wanted_end, set())
        free = booker.free(profile, days)
        planned = _hours(share)
        over = max(Decimal(0), planned - _hours(max(free, 0)))
        over_any = over_any or over > 0
        booker.book(profile, share, request.wanted_start, request.wanted_end)
        assignments.append(
            Assignment(
                engineer=profile,
                planned_hours=planned,
                start=request.wanted_start,
                end=request.wanted_end,
                assigned_by=lead,
                assigned_at=at,
                over_capacity_hours=over,
                over_capacity_reason=OVER_CAPACITY_REASON if over else "",
            )
        )
    move(S.DISPATCHED, lead, at, f"超出空闲产能：{OVER_CAPACITY_REASON}" if over_any else "")

    # Dispatched -> in progress on the first day, by the first engineer.
    engineer = engineers[0].user
    if withdraw(0.02):
        return
    at = max(_at(request.wanted_start, 9, rng.randrange(0, 60)), at + datetime.timedelta(minutes=5))
    if at > now or cancelled_by_close(at):
        return
    move(S.IN_PROGRESS, engineer, at)

    # In progress -> done on the last day.
    if withdraw(0.02):
        return
    at = max(_at(request.wanted_end, 17, rng.randrange(0, 60)), at + datetime.timedelta(hours=1))
    if at > now or cancelled_by_close(at):
        return
    move(S.DONE, engineer, at, "支持工作已完成，材料已归档。")

    # Done -> evaluated by the requester (a few never get round to it).
    if rng.random() < 0.06:
        return
    at = _later(at, rng, 0.5, 8)
    if at > now:
        return
    request.rating = rng.choices([1, 2, 3, 4, 5], weights=[2, 5, 20, 40, 33])[0]
    request.rating_comment = RATING_COMMENTS[request.rating]
    request.tech_outcome = _outcome(rng, request, deal)
    move(S.EVALUATED, owner, at, request.rating_comment)


def _window(request):
    return request.wanted_start, request.wanted_end


def _outcome(rng, request, deal) -> str:
    if request.kind == RequestType.TECHNICAL_EXCHANGE and rng.random() < 0.5:
        return TechOutcome.NOT_APPLICABLE
    win = {OpportunityStatus.WON: 0.8, OpportunityStatus.OPEN: 0.55}.get(deal.status, 0.3)
    if request.rating and request.rating <= 2:
        win /= 2
    roll = rng.random()
    if roll < win:
        return TechOutcome.TECH_WIN
    if roll < win + (1 - win) * 0.75:
        return TechOutcome.TECH_LOSS
    return TechOutcome.NOT_APPLICABLE
