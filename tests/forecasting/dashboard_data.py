"""Stored deal-control rows with known numbers, for the dashboard page tests (views and
browser). Only stored rows: the pages must read these, never the opportunities.

On top of the `org` and `pipeline` fixtures, with M = this month and T = today:
Funnel snapshots of the test process on T (and an older day that must not count):
    rep1  Shanghai  first  2 deals 300,000 (weighted 30,000); second 1 deal 500,000 (200,000)
    rep2  Shanghai  first  1 deal  100,000 (10,000)
    rep3  Jiangsu   third  1 deal  800,000 (560,000)
    T-3:  rep1 Shanghai first 9 deals 9,000,000 (900,000)
Rep months (M): rep1 won 2 / 250,000, lost 1, cycle 120 days, 12 activities, 6 advances of 8
    exits; rep2 lost 2, 4 activities, 1 advance of 4 exits; rep3 won 1 / 100,000, cycle 30.
Targets (M): Shanghai 1,000,000; rep1 500,000.
Forecasts of Shanghai for M, as of T: stage-weighted 430,000 (pipeline 900,000), historical
    380,000, categories 300,000; as of T-1: stage-weighted 410,000.
Alerts: a stalled deal of rep1 (Shanghai, warning, open), a deal of rep3 (Jiangsu, critical,
    open), one of rep1 already resolved.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from forecasting.choices import AlertKind, AlertStatus, ForecastMethod, Severity, SubjectKind
from forecasting.models import Alert, AlertRule, ForecastRun, FunnelSnapshot, RepMonth
from forecasting.periods import period_containing
from salesops.models import Target

DAY = datetime.timedelta(days=1)


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


def stalled_facts(days=40):
    return {"stage": {"en": "First", "zh": "第一"}, "days": days, "p80_days": "20", "factor": "1"}


def alert(deal, *, team, owner, severity=Severity.WARNING, status=AlertStatus.OPEN, key=""):
    rule, _created = AlertRule.objects.get_or_create(kind=AlertKind.STALLED)
    return Alert.objects.create(
        rule=rule,
        kind=AlertKind.STALLED,
        severity=severity,
        subject_kind=SubjectKind.OPPORTUNITY,
        opportunity=deal,
        team=team,
        owner=owner,
        dedup_key=key or f"stalled:opportunity:{deal.pk}:{owner.pk}:{status}",
        facts=stalled_facts(),
        status=status,
    )


def build(org, pipeline, deal) -> SimpleNamespace:
    today = timezone.localdate()
    month = period_containing("month", today)
    snapshot(today, org.shanghai, org.rep1, pipeline.first, 2, 300000, 30000)
    snapshot(today, org.shanghai, org.rep1, pipeline.second, 1, 500000, 200000)
    snapshot(today, org.shanghai, org.rep2, pipeline.first, 1, 100000, 10000)
    snapshot(today, org.jiangsu, org.rep3, pipeline.third, 1, 800000, 560000)
    snapshot(today - 3 * DAY, org.shanghai, org.rep1, pipeline.first, 9, 9000000, 900000)
    RepMonth.objects.create(
        month=month.start,
        owner=org.rep1,
        team=org.shanghai,
        won_count=2,
        won_amount=Decimal(250000),
        lost_count=1,
        cycle_days_total=120,
        activities_count=12,
        advances_count=6,
        stage_exits_count=8,
    )
    RepMonth.objects.create(
        month=month.start,
        owner=org.rep2,
        team=org.shanghai,
        lost_count=2,
        activities_count=4,
        advances_count=1,
        stage_exits_count=4,
    )
    RepMonth.objects.create(
        month=month.start,
        owner=org.rep3,
        team=org.jiangsu,
        won_count=1,
        won_amount=Decimal(100000),
        cycle_days_total=30,
    )
    Target.objects.create(team=org.shanghai, month=month.start, amount=Decimal(1000000))
    Target.objects.create(user=org.rep1, month=month.start, amount=Decimal(500000))

    def run(method, amount, as_of, **figures):
        return ForecastRun.objects.create(
            method=method,
            scope="team",
            team=org.shanghai,
            period_kind="month",
            period_start=month.start,
            period_end=month.end,
            as_of=as_of,
            amount=Decimal(amount),
            figures=figures,
        )

    run(ForecastMethod.STAGE_WEIGHTED, 410000, today - DAY, pipeline="880000")
    run(ForecastMethod.STAGE_WEIGHTED, 430000, today, pipeline="900000")
    run(ForecastMethod.HISTORICAL, 380000, today, expected="380000")
    run(ForecastMethod.CATEGORY, 300000, today, commit="300000")
    return SimpleNamespace(
        today=today,
        month=month,
        rep1_alert=alert(deal, team=org.shanghai, owner=org.rep1),
        rep3_alert=alert(deal, team=org.jiangsu, owner=org.rep3, severity=Severity.CRITICAL),
        resolved=alert(deal, team=org.shanghai, owner=org.rep1, status=AlertStatus.RESOLVED),
    )
