"""Stored forecasting rows with known numbers, shared by the selector and API tests.

The world (on top of the `org` and `pipeline` fixtures), relative to today:

Funnel snapshots of the test process, yesterday (the latest day) and a week ago:
    rep1  Shanghai  first  2 deals 300,000 (weighted 30,000); second 1 deal 200,000 (80,000)
    rep2  Shanghai  first  1 deal  100,000 (10,000)
    rep3  Jiangsu   third  1 deal  400,000 (280,000)
    rep4  Beijing   first  3 deals 600,000 (60,000)
    a week ago: rep1 Shanghai first 5 deals 1,000,000 (100,000)
Stage statistics: company first 0.5, second 0.6, third 0.8; Shanghai first 0.7 (12 deals).
Rep months (M1 = last month, M2 = the month before, M0 = this month):
    rep1 M2 won 1 / 50,000, cycle 40, 8 activities, 1 advance of 2 exits
    rep1 M1 won 2 / 300,000, lost 1, cycle 120, 20 activities, 6 advances of 8 exits
    rep1 M0 won 1 / 100,000, cycle 30, 10 activities, 2 of 2
    rep2 M1 lost 2, 4 activities, 1 advance of 3 exits
    rep3 M1 won 1 / 250,000, cycle 90;  rep4 M1 won 1 / 500,000, cycle 60
Targets: rep1 M1 400,000 and M0 200,000; rep2 M1 100,000; Shanghai M1 600,000;
    East China (a top-level team) M1 1,000,000.
Forecasts: see `runs` below. Alerts: a1..a7 below.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from forecasting.choices import AlertKind, AlertStatus, Severity, SubjectKind
from forecasting.models import (
    Alert,
    AlertRule,
    ForecastRun,
    FunnelSnapshot,
    RepMonth,
    StageStatistic,
)
from forecasting.periods import add_months, month_start
from salesops.models import Target

DAY = datetime.timedelta(days=1)


def months_back(count: int) -> datetime.date:
    return add_months(month_start(timezone.localdate()), -count)


def month_end(month: datetime.date) -> datetime.date:
    return add_months(month, 1) - datetime.timedelta(days=1)


def snapshot(day, team, owner, stage, count, amount, weighted):
    return FunnelSnapshot.objects.create(
        day=day,
        team=team,
        owner=owner,
        process=stage.process,
        stage=stage,
        count=count,
        amount=Decimal(amount),
        weighted_amount=Decimal(weighted),
    )


def statistic(pipeline, stage, conversion, *, team=None, sample=20):
    return StageStatistic.objects.create(
        process=pipeline.process,
        team=team,
        stage=stage,
        sample_size=sample,
        reached_next=int(sample * Decimal(conversion)),
        won=1,
        conversion_rate=Decimal(conversion),
        win_rate=Decimal("0.2"),
        median_days=Decimal("10"),
        p80_days=Decimal("20"),
        computed_on=timezone.localdate(),
    )


def rep_month(month, owner, team, **numbers):
    if "won_amount" in numbers:
        numbers["won_amount"] = Decimal(numbers["won_amount"])
    return RepMonth.objects.create(month=month, owner=owner, team=team, **numbers)


def run(method, period_start, as_of, amount, *, team=None, owner=None, kind="month", **extra):
    scope = "rep" if owner else "team" if team else "company"
    return ForecastRun.objects.create(
        method=method,
        scope=scope,
        team=team,
        owner=owner,
        period_kind=kind,
        period_start=period_start,
        period_end=month_end(period_start)
        if kind == "month"
        else add_months(period_start, 3) - datetime.timedelta(days=1),
        as_of=as_of,
        amount=Decimal(amount),
        **extra,
    )


def alert(kind, *, team, owner, status=AlertStatus.OPEN, severity=Severity.WARNING, **fields):
    rule, _created = AlertRule.objects.get_or_create(kind=kind)
    fields.setdefault("subject_kind", SubjectKind.OPPORTUNITY)
    fields.setdefault("dedup_key", f"{kind}:{owner.username}:{status}:{Alert.objects.count()}")
    return Alert.objects.create(
        rule=rule, kind=kind, severity=severity, team=team, owner=owner, status=status, **fields
    )


def build_world(org, pipeline) -> SimpleNamespace:
    today = timezone.localdate()
    latest, older = today - datetime.timedelta(days=1), today - datetime.timedelta(days=7)
    m0, m1, m2, m3 = (months_back(count) for count in range(4))
    p = pipeline

    snapshot(latest, org.shanghai, org.rep1, p.first, 2, 300000, 30000)
    snapshot(latest, org.shanghai, org.rep1, p.second, 1, 200000, 80000)
    snapshot(latest, org.shanghai, org.rep2, p.first, 1, 100000, 10000)
    snapshot(latest, org.jiangsu, org.rep3, p.third, 1, 400000, 280000)
    snapshot(latest, org.beijing, org.rep4, p.first, 3, 600000, 60000)
    snapshot(older, org.shanghai, org.rep1, p.first, 5, 1000000, 100000)

    statistic(p, p.first, "0.5")
    statistic(p, p.second, "0.6")
    statistic(p, p.third, "0.8")
    statistic(p, p.first, "0.7", team=org.shanghai, sample=12)

    rep_month(
        m2,
        org.rep1,
        org.shanghai,
        won_count=1,
        won_amount=50000,
        cycle_days_total=40,
        activities_count=8,
        advances_count=1,
        stage_exits_count=2,
    )
    rep_month(
        m1,
        org.rep1,
        org.shanghai,
        won_count=2,
        won_amount=300000,
        lost_count=1,
        cycle_days_total=120,
        activities_count=20,
        advances_count=6,
        stage_exits_count=8,
    )
    rep_month(
        m0,
        org.rep1,
        org.shanghai,
        won_count=1,
        won_amount=100000,
        cycle_days_total=30,
        activities_count=10,
        advances_count=2,
        stage_exits_count=2,
    )
    rep_month(
        m1,
        org.rep2,
        org.shanghai,
        lost_count=2,
        activities_count=4,
        advances_count=1,
        stage_exits_count=3,
    )
    rep_month(m1, org.rep3, org.jiangsu, won_count=1, won_amount=250000, cycle_days_total=90)
    rep_month(m1, org.rep4, org.beijing, won_count=1, won_amount=500000, cycle_days_total=60)

    Target.objects.create(user=org.rep1, month=m1, amount=Decimal(400000))
    Target.objects.create(user=org.rep1, month=m0, amount=Decimal(200000))
    Target.objects.create(user=org.rep2, month=m1, amount=Decimal(100000))
    Target.objects.create(team=org.shanghai, month=m1, amount=Decimal(600000))
    Target.objects.create(team=org.east, month=m1, amount=Decimal(1000000))

    later = m1 + datetime.timedelta(days=9)
    runs = SimpleNamespace(
        # rep1, last month: two days of forecasts
        sw_first=run("stage_weighted", m1, m1, 360000, owner=org.rep1),
        hist_first=run("historical", m1, m1, 270000, owner=org.rep1),
        cat_first=run("category", m1, m1, 300000, owner=org.rep1, figures={"pipeline": 90000.0}),
        sw_later=run(
            "stage_weighted", m1, later, 330000, owner=org.rep1, figures={"pipeline": 250000.0}
        ),
        hist_later=run("historical", m1, later, 290000, owner=org.rep1),
        # rep1, two months ago: one made before the month began (not counted), one within
        sw_m2_early=run(
            "stage_weighted", m2, m2 - datetime.timedelta(days=5), 99999, owner=org.rep1
        ),
        sw_m2=run("stage_weighted", m2, m2 + DAY * 3, 40000, owner=org.rep1),
        # rep1, three months ago: nothing was booked
        sw_m3=run("stage_weighted", m3, m3, 10000, owner=org.rep1),
        rep2=run("stage_weighted", m1, m1, 120000, owner=org.rep2),
        rep4=run("stage_weighted", m1, m1, 450000, owner=org.rep4),
        company=run("stage_weighted", m1, m1, 1200000),
        shanghai=run("stage_weighted", m1, m1, 500000, team=org.shanghai),
        jiangsu=run("stage_weighted", m1, m1, 260000, team=org.jiangsu),
        beijing=run("stage_weighted", m1, m1, 480000, team=org.beijing),
    )
    alerts = SimpleNamespace(
        a1=alert(
            AlertKind.STALLED,
            team=org.shanghai,
            owner=org.rep1,
            facts={
                "stage": {"en": "Stage 1", "zh": ""},
                "days": 30,
                "p80_days": "12.5",
                "factor": "1",
            },
        ),
        a2=alert(
            AlertKind.NO_ACTIVITY,
            team=org.shanghai,
            owner=org.rep2,
            status=AlertStatus.ACKNOWLEDGED,
            severity=Severity.CRITICAL,
            facts={"days": 20, "limit_days": 14, "last_activity": None},
        ),
        a3=alert(AlertKind.CLOSE_DATE_SLIPPING, team=org.jiangsu, owner=org.rep3),
        a4=alert(AlertKind.STALLED, team=org.beijing, owner=org.rep4),
        a6=alert(
            AlertKind.ENGINEER_OVERBOOKED,
            team=org.solutions,
            owner=org.engineer,
            subject_kind=SubjectKind.ENGINEER,
        ),
        a7=alert(AlertKind.STALLED, team=org.shanghai, owner=org.rep1, status=AlertStatus.RESOLVED),
    )
    return SimpleNamespace(
        today=today,
        latest=latest,
        older=older,
        m0=m0,
        m1=m1,
        m2=m2,
        m3=m3,
        runs=runs,
        alerts=alerts,
    )
