"""Demo organisation for `manage.py seed_demo`: a mid-sized Chinese B2B company.

Idempotent: every row is found by a natural key (username, team name, team/user + month)
and only created when missing, so re-running it leaves existing data alone.
"""

import datetime
import functools
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .choices import Role, TeamKind
from .models import Target, Team, User

DEMO_PASSWORD = "salesops-demo"

# (region, region manager, [(team, team manager username), ...])
REGIONS = [
    (
        "East China Region",
        "manager",
        [
            ("Shanghai Enterprise", "mgr.shanghai"),
            ("Jiangsu & Zhejiang", "mgr.jiangzhe"),
            ("Anhui & Fujian", "mgr.anfu"),
        ],
    ),
    (
        "North China Region",
        "mgr.north",
        [("Beijing Enterprise", "mgr.beijing"), ("Tianjin & Hebei", "mgr.jinji")],
    ),
    (
        "South China Region",
        "mgr.south",
        [("Guangzhou Enterprise", "mgr.guangzhou"), ("Shenzhen Technology", "mgr.shenzhen")],
    ),
]
PRESALES_CENTRE = "Presales Centre"
PRESALES_TEAMS = [("Solutions Presales", "presales"), ("Industry Presales", "presales.industry")]
REPS_PER_TEAM = 5
ENGINEERS_PER_TEAM = 5

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "强",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "婷",
    "浩然",
    "子涵",
    "雨欣",
    "宇航",
    "欣怡",
    "梓涵",
    "晨",
    "嘉怡",
    "俊杰",
    "思远",
]


def _chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _team(name: str, kind: str, parent: Team | None) -> Team:
    existing = Team.objects.filter(name=name).first()
    if existing:
        return existing
    if parent is None:
        return Team.objects.add_root({"name": name, "kind": kind})
    return Team.objects.add_child(parent, {"name": name, "kind": kind})


@functools.cache
def _demo_password_hash() -> str:
    """Hash the shared demo password once: a deliberately slow hash per user would make the
    first `make run` wait half a minute."""
    return make_password(DEMO_PASSWORD)


def _user(username: str, *, role: str, team: Team | None, name: str, title: str) -> User:
    user = User.objects.filter(username=username).first()
    if user:
        return user
    user = User(
        username=username,
        role=role,
        team=team,
        name=name,
        title=title,
        email=f"{username}@demo.salesops.test",
    )
    user.password = _demo_password_hash()
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
    user.save()
    return user


def _lead(team: Team, manager: User) -> None:
    if team.manager_id != manager.pk:
        Team.objects.filter(pk=team.pk).update(manager=manager)
        team.manager = manager


def _month_range(today: datetime.date, back: int, ahead: int) -> list[datetime.date]:
    first = today.replace(day=1)
    months = []
    for offset in range(-back, ahead + 1):
        index = first.year * 12 + first.month - 1 + offset
        months.append(datetime.date(index // 12, index % 12 + 1, 1))
    return months


@transaction.atomic
def seed_organisation(*, today: datetime.date, rng: random.Random) -> dict:
    _user("admin", role=Role.ADMIN, team=None, name="系统管理员", title="IT administrator")
    reps: list[User] = []
    sales_teams: list[Team] = []
    for region_name, region_manager, teams in REGIONS:
        region = _team(region_name, TeamKind.REGION, None)
        _lead(
            region,
            _user(
                region_manager,
                role=Role.MANAGER,
                team=region,
                name=_chinese_name(rng),
                title="Regional sales director",
            ),
        )
        for team_name, team_manager in teams:
            team = _team(team_name, TeamKind.SALES, region)
            sales_teams.append(team)
            _lead(
                team,
                _user(
                    team_manager,
                    role=Role.MANAGER,
                    team=team,
                    name=_chinese_name(rng),
                    title="Sales manager",
                ),
            )
            for _index in range(REPS_PER_TEAM):
                number = len(reps) + 1
                reps.append(
                    _user(
                        "rep" if number == 1 else f"rep{number:02d}",
                        role=Role.REP,
                        team=team,
                        name=_chinese_name(rng),
                        title="Account manager",
                    )
                )
    centre = _team(PRESALES_CENTRE, TeamKind.PRESALES, None)
    engineers: list[User] = []
    for team_name, lead_username in PRESALES_TEAMS:
        team = _team(team_name, TeamKind.PRESALES, centre)
        lead = _user(
            lead_username,
            role=Role.PRESALES_LEAD,
            team=team,
            name=_chinese_name(rng),
            title="Presales lead",
        )
        _lead(team, lead)
        if lead_username == "presales":
            _lead(centre, lead)
        for _index in range(ENGINEERS_PER_TEAM):
            number = len(engineers) + 1
            engineers.append(
                _user(
                    "engineer" if number == 1 else f"engineer{number:02d}",
                    role=Role.PRESALES_ENGINEER,
                    team=team,
                    name=_chinese_name(rng),
                    title="Solution engineer",
                )
            )
    _seed_targets(today=today, rng=rng, reps=reps, sales_teams=sales_teams)
    return {"reps": len(reps), "sales_teams": len(sales_teams), "engineers": len(engineers)}


def _seed_targets(*, today, rng, reps, sales_teams) -> None:
    """Monthly quotas for 18 months back and 6 ahead; a team's target is its reps' sum."""
    months = _month_range(today, back=18, ahead=6)
    existing = set(
        Target.objects.filter(month__in=months).values_list("user_id", "team_id", "month")
    )
    new_targets = []
    team_totals: dict[tuple[int, datetime.date], Decimal] = {}
    for rep in reps:
        base = Decimal(rng.randrange(300, 900) * 1000)
        for month in months:
            # Quarter-end months carry more quota, as B2B bookings do.
            amount = base * (Decimal("1.3") if month.month in (3, 6, 9, 12) else 1)
            team_totals[(rep.team_id, month)] = team_totals.get((rep.team_id, month), 0) + amount
            if (rep.pk, None, month) not in existing:
                new_targets.append(Target(user=rep, month=month, amount=amount))
    for team in sales_teams:
        for month in months:
            if (None, team.pk, month) not in existing:
                new_targets.append(
                    Target(team=team, month=month, amount=team_totals.get((team.pk, month), 0))
                )
    Target.objects.bulk_create(new_targets)
