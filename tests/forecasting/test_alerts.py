"""Anomaly alerts: each rule fires on a deal, request, engineer or team that breaks it, with
the numbers in its explanation, and resolves by itself once the data no longer does; scans
are idempotent; people acknowledge and resolve through the services with their permissions.

Deals run through the seeded eight-stage `solution` process:
1 qualify · 2 contact · 3 design · 4 prove · 5 confirm · 6 evaluate · 7 negotiate · 8 won."""

import datetime
from decimal import Decimal
from importlib import import_module

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.choices import Attitude, Influence, PurchaseRole
from forecasting import alerts
from forecasting.alerts import (
    AlertRefused,
    alert_acknowledge,
    alert_resolve,
    alert_rule_update,
    alerts_scan,
    describe,
)
from forecasting.choices import AlertKind, AlertStatus, Severity, SubjectKind
from forecasting.models import Alert, AlertRule, ForecastRun, StageStatistic
from forecasting.periods import QUARTER, period_bounds
from opportunities import services as deals
from opportunities.models import (
    Milestone,
    MilestoneCheck,
    Opportunity,
    OpportunityChange,
    SalesProcess,
    StageChange,
)
from resources import services as presales
from resources.choices import RequestStatus, RequestType
from resources.models import Assignment, ResourceRequest
from salesops.exceptions import DomainError, PermissionRefused
from tests.factories import ContactFactory, EngineerProfileFactory

K = AlertKind
DAY = datetime.timedelta(days=1)
UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def solution(db):
    return SalesProcess.objects.get(code="solution")


@pytest.fixture
def stage(solution):
    return lambda code: solution.stages.get(code=code)


@pytest.fixture
def deal(org, account, solution):
    """An open deal of rep1 (Shanghai) in the solution process, in the given stage."""

    def make(stage="qualify", customer_stage=None, amount="500000", owner=None, **fields):
        fields.setdefault("expected_close_date", today() + 90 * DAY)
        return deals.opportunity_create(
            by=org.admin if owner else org.rep1,
            owner=owner or org.rep1,
            account=account,
            name=fields.pop("name", "MES rollout"),
            amount=Decimal(amount),
            process=solution,
            stage=stage,
            customer_stage=customer_stage,
            **fields,
        )

    return make


def alert_of(kind, **subject) -> Alert | None:
    return Alert.objects.filter(kind=kind, status__in=UNRESOLVED, **subject).first()


def set_params(kind, **params):
    rule = AlertRule.objects.get(kind=kind)
    rule.params = {**alerts.rule_spec(kind).defaults(), **params}
    rule.save()


def fresh(obj):
    obj.refresh_from_db()
    return obj


def only(kind, **kwargs):
    """Scan with only one rule active, so that a test sees the alerts of its own rule."""
    AlertRule.objects.exclude(kind=kind).update(is_active=False)
    return alerts_scan(**kwargs)


# The rules ---------------------------------------------------------------------------------


def test_stalled_fires_beyond_the_stages_80th_percentile_and_clears(deal, solution, stage):
    StageStatistic.objects.create(
        process=solution,
        team=None,
        stage=stage("design"),
        sample_size=30,
        reached_next=20,
        won=9,
        conversion_rate=Decimal("0.6667"),
        win_rate=Decimal("0.3000"),
        median_days=Decimal("12.0"),
        p80_days=Decimal("23.0"),
        computed_on=today(),
    )
    stuck = deal(stage="design")
    fine = deal(stage="design", name="Fresh deal")
    Opportunity.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - 41 * DAY)
    Opportunity.objects.filter(pk=fine.pk).update(stage_entered_at=timezone.now() - 23 * DAY)

    assert only(K.STALLED) == {"opened": 1, "kept": 0, "resolved": 0}
    alert = alert_of(K.STALLED, opportunity=stuck)
    assert alert.facts["days"] == 41 and alert.facts["p80_days"] == "23"
    assert alert.subject_kind == SubjectKind.OPPORTUNITY
    assert (alert.owner, alert.team, alert.severity) == (stuck.owner, stuck.team, "warning")
    assert describe(alert) == (
        "In Solution design for 41 days; 80% of deals leave it within 23 days."
    )
    assert alert_of(K.STALLED, opportunity=fine) is None

    # Twice the norm is the bar now: 41 days is within 46.
    set_params(K.STALLED, factor="2")
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}
    set_params(K.STALLED, factor="1")
    alerts_scan()
    Opportunity.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - 3 * DAY)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}
    resolved = Alert.objects.filter(kind=K.STALLED).order_by("pk").last()
    assert resolved.status == AlertStatus.RESOLVED
    assert resolved.resolved_by is None and resolved.resolved_at is not None


def test_stalled_explanation_names_the_stage_in_the_readers_language(deal, solution, stage):
    StageStatistic.objects.create(
        process=solution,
        stage=stage("design"),
        sample_size=30,
        reached_next=20,
        won=9,
        conversion_rate=Decimal("0.6667"),
        win_rate=Decimal("0.3000"),
        p80_days=Decimal("23.5"),
        computed_on=today(),
    )
    stuck = deal(stage="design")
    Opportunity.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - 30 * DAY)
    only(K.STALLED)
    alert = alert_of(K.STALLED)
    assert "23.5 days" in describe(alert)
    with translation.override("zh-hans"):
        assert "方案设计" in describe(alert)


def test_stage_gap_fires_ahead_and_behind_and_clears(org, deal):
    ahead = deal(stage="evaluate", customer_stage="prove")
    behind = deal(stage="qualify", customer_stage="design", name="Late entry")
    one_apart = deal(stage="confirm", customer_stage="prove", name="Close enough")

    assert only(K.STAGE_GAP)["opened"] == 2
    over = alert_of(K.STAGE_GAP, opportunity=ahead)
    assert over.facts["gap"] == 2
    assert describe(over) == (
        "Sales stage 6 (Evaluation) is 2 stages ahead of the customer's stage 4 (Criteria "
        "set, goals fixed): the deal may be over-reported."
    )
    late = alert_of(K.STAGE_GAP, opportunity=behind)
    assert late.facts["gap"] == -2
    assert describe(late) == (
        "The customer is at stage 3 (Project approved, team formed), 2 stages ahead of our "
        "sales stage 1 (Opportunity initiation): we came in late or the deal lags."
    )
    assert alert_of(K.STAGE_GAP, opportunity=one_apart) is None

    deals.opportunity_update(
        opportunity=ahead, by=org.rep1, version=ahead.version, customer_stage="confirm"
    )
    assert alerts_scan() == {"opened": 0, "kept": 1, "resolved": 1}
    assert alert_of(K.STAGE_GAP, opportunity=ahead) is None

    set_params(K.STAGE_GAP, stages=3)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_stage_skipped_without_override_fires_until_the_deal_goes_back(org, deal, stage):
    jumped = deal(stage="qualify")
    Opportunity.objects.filter(pk=jumped.pk).update(stage=stage("design"))
    StageChange.objects.create(
        opportunity=jumped,
        kind="skip",
        from_stage=stage("qualify"),
        to_stage=stage("design"),
        status="open",
    )
    overridden = deal(stage="qualify", name="Approved jump")
    Opportunity.objects.filter(pk=overridden.pk).update(stage=stage("design"))
    StageChange.objects.create(
        opportunity=overridden,
        kind="skip",
        from_stage=stage("qualify"),
        to_stage=stage("design"),
        status="open",
        override_reason="Customer had already run the needs analysis with a consultant.",
    )
    required = Milestone.objects.filter(stage=stage("contact"), is_required=True).count()
    assert required >= 1

    assert only(K.STAGE_SKIPPED)["opened"] == 1
    alert = alert_of(K.STAGE_SKIPPED, opportunity=jumped)
    assert alert.severity == Severity.CRITICAL
    assert alert.facts["missing_milestones"] == required
    assert describe(alert) == (
        f"Moved from Opportunity initiation to Solution design on "
        f"{_long_date(today())} without a manager's override; "
        f"{required} required milestones of the skipped stages (Initial contact) are unchecked."
    )
    assert alert_of(K.STAGE_SKIPPED, opportunity=overridden) is None

    # A manager moves the deal back into the skipped stage: nothing is skipped any more.
    deals.opportunity_advance(
        opportunity=fresh(jumped),
        to_stage="contact",
        by=org.manager_shanghai,
        override_reason="Do the budget talk properly.",
    )
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_stage_skipped_clears_once_the_skipped_milestones_are_checked(org, deal, stage):
    jumped = deal(stage="qualify")
    Opportunity.objects.filter(pk=jumped.pk).update(stage=stage("design"))
    StageChange.objects.create(
        opportunity=jumped,
        kind="advance",  # an import that jumped two orders as an ordinary advance
        from_stage=stage("qualify"),
        to_stage=stage("design"),
        status="open",
    )
    only(K.STAGE_SKIPPED)
    assert alert_of(K.STAGE_SKIPPED, opportunity=jumped) is not None
    for milestone in Milestone.objects.filter(stage=stage("contact"), is_required=True):
        MilestoneCheck.objects.create(
            opportunity=jumped, milestone=milestone, evidence_note="Caught up in the review."
        )
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def _long_date(day):
    from django.utils import formats

    return formats.date_format(day, "DATE_FORMAT")


def test_close_date_past_due_fires_and_clears_when_moved(org, deal):
    late = deal()
    Opportunity.objects.filter(pk=late.pk).update(expected_close_date=today() - 10 * DAY)

    only(K.CLOSE_DATE_SLIPPING)
    alert = alert_of(K.CLOSE_DATE_SLIPPING, opportunity=late)
    assert alert.facts["days_past_due"] == 10 and alert.facts["pushes"] == 0
    assert describe(alert) == (
        f"The close date {_long_date(today() - 10 * DAY)} passed 10 days ago; "
        "the deal is still open."
    )
    late = fresh(late)
    deals.opportunity_update(
        opportunity=late, by=org.rep1, version=late.version, expected_close_date=today() + 30 * DAY
    )
    # One push is below the threshold of two, and the date is ahead again.
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_close_date_pushed_twice_fires_and_clears_when_the_pushes_age_out(org, deal):
    slipping = deal(expected_close_date=today() + 30 * DAY)
    for days in (60, 90):
        slipping = fresh(slipping)
        deals.opportunity_update(
            opportunity=slipping,
            by=org.rep1,
            version=slipping.version,
            expected_close_date=today() + days * DAY,
        )
    pulled_in = deal(name="Pulled in", expected_close_date=today() + 60 * DAY)
    deals.opportunity_update(
        opportunity=pulled_in, by=org.rep1, version=1, expected_close_date=today() + 30 * DAY
    )

    only(K.CLOSE_DATE_SLIPPING)
    alert = alert_of(K.CLOSE_DATE_SLIPPING, opportunity=slipping)
    assert alert.facts["pushes"] == 2
    assert describe(alert) == (
        "The close date was pushed back 2 times in the last 90 days "
        f"(now {_long_date(today() + 90 * DAY)})."
    )
    assert alert_of(K.CLOSE_DATE_SLIPPING, opportunity=pulled_in) is None

    set_params(K.CLOSE_DATE_SLIPPING, pushes=3)
    assert alerts_scan()["resolved"] == 1
    set_params(K.CLOSE_DATE_SLIPPING, pushes=2)
    assert alerts_scan()["opened"] == 1
    OpportunityChange.objects.filter(opportunity=slipping).update(
        changed_at=timezone.now() - 100 * DAY
    )
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_amount_dropped_fires_at_30_percent_below_the_high_and_clears(org, deal):
    shrinking = deal(amount="1000000")
    deals.opportunity_update(
        opportunity=shrinking, by=org.rep1, version=1, amount=Decimal("650000")
    )
    slightly = deal(amount="1000000", name="Small discount")
    deals.opportunity_update(opportunity=slightly, by=org.rep1, version=1, amount=Decimal("750000"))

    only(K.AMOUNT_DROPPED)
    alert = alert_of(K.AMOUNT_DROPPED, opportunity=shrinking)
    assert alert.facts["drop_percent"] == "35"
    assert describe(alert) == ("The amount fell to 650,000 CNY from a high of 1,000,000, down 35%.")
    assert alert_of(K.AMOUNT_DROPPED, opportunity=slightly) is None

    set_params(K.AMOUNT_DROPPED, percent="20")
    assert alerts_scan() == {"opened": 1, "kept": 1, "resolved": 0}
    set_params(K.AMOUNT_DROPPED, percent="30")
    assert alerts_scan()["resolved"] == 1

    shrinking = fresh(shrinking)
    deals.opportunity_update(
        opportunity=shrinking, by=org.rep1, version=shrinking.version, amount=Decimal("800000")
    )
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_no_activity_fires_after_14_days_from_stage_2_and_clears(org, deal):
    quiet = deal(stage="contact")
    Opportunity.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - 20 * DAY)
    early = deal(stage="qualify", name="Just qualified")
    Opportunity.objects.filter(pk=early.pk).update(created_at=timezone.now() - 20 * DAY)
    busy = deal(stage="design", name="Busy")
    Opportunity.objects.filter(pk=busy.pk).update(created_at=timezone.now() - 20 * DAY)
    deals.activity_log(
        opportunity=busy, by=org.rep1, kind="visit", occurred_on=today() - 13 * DAY, subject="Demo"
    )

    only(K.NO_ACTIVITY)
    alert = alert_of(K.NO_ACTIVITY, opportunity=quiet)
    assert describe(alert) == (
        "No activity logged since the deal was opened 20 days ago; the limit is 14 days."
    )
    assert alert_of(K.NO_ACTIVITY, opportunity=early) is None
    assert alert_of(K.NO_ACTIVITY, opportunity=busy) is None

    Opportunity.objects.filter(pk=busy.pk).update(last_activity_on=today() - 15 * DAY)
    assert alerts_scan()["opened"] == 1
    assert describe(alert_of(K.NO_ACTIVITY, opportunity=busy)) == (
        f"No activity logged for 15 days (the last on {_long_date(today() - 15 * DAY)}); "
        "the limit is 14 days."
    )

    deals.activity_log(
        opportunity=quiet, by=org.rep1, kind="call", occurred_on=today(), subject="Budget call"
    )
    assert alerts_scan() == {"opened": 0, "kept": 1, "resolved": 1}
    set_params(K.NO_ACTIVITY, days=16)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def _map(org, deal, *, influence=Influence.HIGH, attitude=Attitude.CHAMPION):
    contact = ContactFactory(account=deal.account)
    return deals.decision_chain_set(
        opportunity=deal,
        contact=contact,
        by=org.rep1,
        role=PurchaseRole.TECHNICAL_EVALUATOR,
        influence=influence,
        attitude=attitude,
    )


def test_single_threaded_fires_from_stage_4_and_clears(org, deal):
    thin = deal(stage="prove")
    _map(org, thin)
    no_ally = deal(stage="confirm", name="No ally")
    _map(org, no_ally, attitude=Attitude.NEUTRAL)
    _map(org, no_ally, influence=Influence.LOW, attitude=Attitude.SUPPORTER)
    early = deal(stage="design", name="Still designing")

    only(K.SINGLE_THREADED)
    alert = alert_of(K.SINGLE_THREADED, opportunity=thin)
    assert (alert.facts["contacts"], alert.facts["high_supporters"]) == (1, 1)
    assert describe(alert) == (
        "In Credentials & proof the deal hangs on too few people: mapped contacts 1, champions "
        "or supporters among the high-influence people 1."
    )
    other = alert_of(K.SINGLE_THREADED, opportunity=no_ally)
    assert (other.facts["contacts"], other.facts["high_supporters"]) == (2, 0)
    assert alert_of(K.SINGLE_THREADED, opportunity=early) is None

    _map(org, thin, influence=Influence.MID, attitude=Attitude.SUPPORTER)
    assert alerts_scan() == {"opened": 0, "kept": 1, "resolved": 1}

    set_params(K.SINGLE_THREADED, from_stage_order=3)
    assert alerts_scan() == {"opened": 1, "kept": 1, "resolved": 0}
    assert alert_of(K.SINGLE_THREADED, opportunity=early).facts["contacts"] == 0


def _request(org, opportunity, **fields):
    return presales.request_create(
        by=org.rep1,
        opportunity=opportunity,
        kind=RequestType.TECHNICAL_EXCHANGE,
        estimated_hours=Decimal("8"),
        wanted_start=today() + 7 * DAY,
        wanted_end=today() + 14 * DAY,
        justification="The customer's IT wants a technical exchange.",
        **fields,
    )


def test_big_deal_without_presales_fires_from_stage_3_and_clears(org, deal):
    big = deal(stage="design", amount="2000000")
    small = deal(stage="design", amount="999999", name="Small")
    early = deal(stage="contact", amount="5000000", name="Early big")

    only(K.NO_PRESALES)
    alert = alert_of(K.NO_PRESALES, opportunity=big)
    assert alert.severity == Severity.INFO
    assert describe(alert) == (
        "A deal of 2,000,000 CNY in Solution design has no presales support requested "
        "(from 1,000,000 on, big deals should have it)."
    )
    assert alert_of(K.NO_PRESALES, opportunity=small) is None
    assert alert_of(K.NO_PRESALES, opportunity=early) is None

    request = _request(org, big)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}

    # The condition comes back: a new alert, the resolved one stays resolved.
    presales.request_cancel(request=request, by=org.rep1)
    assert alerts_scan() == {"opened": 1, "kept": 0, "resolved": 0}
    assert Alert.objects.filter(kind=K.NO_PRESALES, opportunity=big).count() == 2
    assert (
        Alert.objects.filter(
            kind=K.NO_PRESALES, opportunity=big, status=AlertStatus.RESOLVED
        ).count()
        == 1
    )

    set_params(K.NO_PRESALES, min_amount="2500000")
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_request_waiting_for_approval_then_for_dispatch(org, deal):
    request = _request(org, deal(stage="design"))
    presales.request_submit(request=request, by=org.rep1)
    ResourceRequest.objects.filter(pk=request.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(hours=50)
    )

    assert only(K.REQUEST_WAITING)["opened"] == 1
    alert = alert_of(K.REQUEST_WAITING, request=request)
    assert alert.subject_kind == SubjectKind.REQUEST
    assert (alert.owner, alert.team) == (org.rep1, org.shanghai)
    assert alert.facts["sla_hours"] == 48
    text = describe(alert)
    assert "waiting for approval for 50 hours; the target is 48 hours." in text

    set_params(K.REQUEST_WAITING, approve_hours=60)
    assert alerts_scan()["resolved"] == 1
    set_params(K.REQUEST_WAITING, approve_hours=48)
    assert alerts_scan()["opened"] == 1

    presales.request_approve(request=fresh(request), by=org.lead)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}

    ResourceRequest.objects.filter(pk=request.pk).update(
        approved_at=timezone.now() - datetime.timedelta(hours=80)
    )
    assert alerts_scan()["opened"] == 1
    waiting = alert_of(K.REQUEST_WAITING, request=request)
    assert waiting.dedup_key.endswith(":approved")
    assert "waiting for dispatch for 80 hours; the target is 72 hours." in describe(waiting)


def _booking(org, opportunity, engineer, *, hours, start, end, status=RequestStatus.DISPATCHED):
    request = ResourceRequest.objects.create(
        opportunity=opportunity,
        requester=org.rep1,
        kind=RequestType.DEMO,
        estimated_hours=Decimal(hours),
        wanted_start=start,
        wanted_end=end,
        justification="Demo for the board.",
        status=status,
    )
    Assignment.objects.create(
        request=request,
        engineer=engineer,
        planned_hours=Decimal(hours),
        start=start,
        end=end,
        over_capacity_hours=Decimal(20),
        over_capacity_reason="The board meets that week only.",
    )
    return request


def test_engineer_overbooked_fires_and_clears(org, deal):
    engineer = EngineerProfileFactory(user=org.engineer)  # 40 h a week
    next_monday = today() - today().weekday() * DAY + 7 * DAY
    request = _booking(
        org,
        deal(stage="design"),
        engineer,
        hours="60",
        start=next_monday,
        end=next_monday + 4 * DAY,
    )

    assert only(K.ENGINEER_OVERBOOKED)["opened"] == 1
    alert = alert_of(K.ENGINEER_OVERBOOKED, owner=org.engineer)
    assert alert.subject_kind == SubjectKind.ENGINEER and alert.team == org.solutions
    assert alert.facts["over_weeks"] == [
        {"start": next_monday.isoformat(), "booked": "60", "available": "40"}
    ]
    assert describe(alert) == (
        f"{org.engineer.get_full_name()} is over-booked in 1 of the next 4 weeks; the worst is "
        f"the week of {_long_date(next_monday)}: 60 h booked against 40 h available."
    )

    set_params(K.ENGINEER_OVERBOOKED, percent="50")  # 60 h is within 40 h + 50 %
    assert alerts_scan()["resolved"] == 1
    set_params(K.ENGINEER_OVERBOOKED, percent="0", weeks=1)  # only this week
    assert alerts_scan()["opened"] == 0
    set_params(K.ENGINEER_OVERBOOKED, percent="0", weeks=4)
    assert alerts_scan()["opened"] == 1

    ResourceRequest.objects.filter(pk=request.pk).update(status=RequestStatus.DONE)
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


@pytest.fixture
def quarter():
    return period_bounds(QUARTER, today())


def _team_forecast(team, start, end, *, booked, expected, target):
    """A stored historical-model run: its amount is what is booked plus what is expected."""
    return ForecastRun.objects.create(
        method="historical",
        scope="team",
        team=team,
        period_kind="quarter",
        period_start=start,
        period_end=end,
        as_of=today(),
        amount=Decimal(booked) + Decimal(expected),
        figures={"booked": float(booked), "expected": float(expected)},
        target=None if target is None else Decimal(target),
    )


def test_forecast_below_target_fires_for_the_team_and_clears(org, quarter):
    start, end = quarter
    run = _team_forecast(
        org.shanghai, start, end, booked="500000", expected="1500000", target="3000000"
    )

    only(K.FORECAST_BELOW_TARGET)
    alert = alert_of(K.FORECAST_BELOW_TARGET, team=org.shanghai)
    assert alert.subject_kind == SubjectKind.TEAM
    assert alert.owner == org.manager_shanghai and alert.severity == Severity.CRITICAL
    assert (alert.facts["won"], alert.facts["total"], alert.facts["shortfall"]) == (
        "500000",
        "2000000",
        "1000000",
    )
    quarter_number = (start.month - 1) // 3 + 1
    assert describe(alert) == (
        f"Q{quarter_number} {start.year} is heading for 2,000,000 (500,000 won, 1,500,000 "
        "forecast), below the target of 3,000,000 x 1 = 3,000,000: 1,000,000 short."
    )

    set_params(K.FORECAST_BELOW_TARGET, coverage="0.6")  # needs 1,800,000
    assert alerts_scan()["resolved"] == 1
    set_params(K.FORECAST_BELOW_TARGET, coverage="1")
    assert alerts_scan()["opened"] == 1

    ForecastRun.objects.filter(pk=run.pk).update(amount=Decimal("3100000"))
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_only_the_latest_run_of_the_quarter_counts(org, quarter):
    start, end = quarter
    older = _team_forecast(org.east, start, end, booked="0", expected="100", target="1500000")
    ForecastRun.objects.filter(pk=older.pk).update(as_of=today() - datetime.timedelta(days=1))
    _team_forecast(org.east, start, end, booked="500000", expected="1000000", target="1500000")
    assert only(K.FORECAST_BELOW_TARGET)["opened"] == 0


def test_a_team_without_target_raises_nothing(org, quarter):
    start, end = quarter
    _team_forecast(org.shanghai, start, end, booked="0", expected="0", target=None)
    _team_forecast(org.jiangsu, start, end, booked="0", expected="0", target="0")
    assert only(K.FORECAST_BELOW_TARGET)["opened"] == 0


# Scans ---------------------------------------------------------------------------------------


@pytest.fixture
def anomalies(org, deal, stage):
    """Deals that break several rules at once."""
    gap = deal(stage="evaluate", customer_stage="prove", name="Over-reported")
    late = deal(stage="contact", name="Late and quiet")
    Opportunity.objects.filter(pk=late.pk).update(
        expected_close_date=today() - 5 * DAY, created_at=timezone.now() - 30 * DAY
    )
    big = deal(stage="prove", amount="3000000", name="Big one")
    return [gap, late, big]


def test_second_scan_changes_nothing(anomalies):
    first = alerts_scan()
    assert first["opened"] >= 5 and first["resolved"] == 0
    rows = list(Alert.objects.order_by("pk").values())
    second = alerts_scan()
    assert second == {"opened": 0, "kept": first["opened"], "resolved": 0}
    assert list(Alert.objects.order_by("pk").values()) == rows
    assert Alert.objects.values("dedup_key").distinct().count() == len(rows)


def test_scan_refreshes_facts_but_keeps_acknowledged_alerts_acknowledged(org, deal):
    late = deal()
    Opportunity.objects.filter(pk=late.pk).update(expected_close_date=today() - 3 * DAY)
    only(K.CLOSE_DATE_SLIPPING)
    alert = alert_of(K.CLOSE_DATE_SLIPPING)
    alert_acknowledge(alert=alert, by=org.rep1, note="Customer's board meets next week.")
    seen = fresh(alert).last_seen_at

    Opportunity.objects.filter(pk=late.pk).update(expected_close_date=today() - 4 * DAY)
    assert alerts_scan() == {"opened": 0, "kept": 1, "resolved": 0}
    alert = fresh(alert)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == org.rep1
    assert alert.facts["days_past_due"] == 4 and alert.last_seen_at > seen
    assert alert.note == "Customer's board meets next week."

    deals.opportunity_update(
        opportunity=fresh(late), by=org.rep1, version=1, expected_close_date=today() + 9 * DAY
    )
    alerts_scan()
    assert fresh(alert).status == AlertStatus.RESOLVED


def test_closed_deals_get_their_alerts_resolved(org, deal):
    gap = deal(stage="evaluate", customer_stage="prove")
    only(K.STAGE_GAP)
    deals.opportunity_close(
        opportunity=gap, by=org.rep1, status="lost", reason="price", note="Too dear."
    )
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_scan_limited_to_some_deals_touches_only_their_alerts(org, deal, stage):
    first = deal(stage="evaluate", customer_stage="prove", name="First")
    second = deal(stage="evaluate", customer_stage="prove", name="Second")
    engineer = EngineerProfileFactory(user=org.engineer)
    monday = today() - today().weekday() * DAY + 7 * DAY
    _booking(org, first, engineer, hours="60", start=monday, end=monday + 4 * DAY)
    AlertRule.objects.exclude(kind__in=[K.STAGE_GAP, K.ENGINEER_OVERBOOKED]).update(is_active=False)

    assert alerts_scan(opportunity_ids=[first.pk]) == {"opened": 1, "kept": 0, "resolved": 0}
    assert alert_of(K.STAGE_GAP, opportunity=first) is not None
    assert alert_of(K.STAGE_GAP, opportunity=second) is None
    assert not Alert.objects.filter(kind=K.ENGINEER_OVERBOOKED).exists()  # not a deal rule

    assert alerts_scan()["opened"] == 2  # the second deal's gap and the engineer
    for opportunity in (first, second):
        Opportunity.objects.filter(pk=opportunity.pk).update(customer_stage=stage("evaluate"))
    assert alerts_scan(opportunity_ids=[first.pk]) == {"opened": 0, "kept": 0, "resolved": 1}
    assert alert_of(K.STAGE_GAP, opportunity=second) is not None
    assert alerts_scan(opportunity_ids=[]) == {"opened": 0, "kept": 0, "resolved": 0}


def test_switching_a_rule_off_resolves_its_alerts(org, deal):
    deal(stage="evaluate", customer_stage="prove")
    only(K.STAGE_GAP)
    rule = AlertRule.objects.get(kind=K.STAGE_GAP)
    alert_rule_update(rule=rule, by=org.admin, is_active=False, severity="warning", params={})
    assert alerts_scan() == {"opened": 0, "kept": 0, "resolved": 1}


def test_rule_severity_applies_to_its_unresolved_alerts(org, deal):
    deal(stage="evaluate", customer_stage="prove")
    only(K.STAGE_GAP)
    rule = AlertRule.objects.get(kind=K.STAGE_GAP)
    alert_rule_update(rule=rule, by=org.admin, is_active=True, severity="critical", params={})
    assert alert_of(K.STAGE_GAP).severity == Severity.CRITICAL
    assert alerts_scan()["opened"] == 0


def test_scan_queries_do_not_grow_with_the_pipeline(org, deal, solution, stage):
    StageStatistic.objects.create(
        process=solution,
        stage=stage("prove"),
        sample_size=30,
        reached_next=20,
        won=9,
        conversion_rate=Decimal("0.6667"),
        win_rate=Decimal("0.3000"),
        p80_days=Decimal("10"),
        computed_on=today(),
    )

    def add(count):
        for index in range(count):
            made = deal(stage="prove", customer_stage="qualify", name=f"Deal {index}")
            Opportunity.objects.filter(pk=made.pk).update(
                stage_entered_at=timezone.now() - 40 * DAY,
                expected_close_date=today() - DAY,
                created_at=timezone.now() - 40 * DAY,
            )
            deals.opportunity_update(
                opportunity=fresh(made), by=org.rep1, version=1, amount=Decimal("100000")
            )

    add(2)
    with CaptureQueriesContext(connection) as small:
        alerts_scan()
    add(6)
    with CaptureQueriesContext(connection) as large:
        alerts_scan()
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 8 * 6
    assert len(large.captured_queries) == len(small.captured_queries)


def test_missing_rules_are_created_with_their_defaults(db):
    AlertRule.objects.filter(kind=K.NO_ACTIVITY).delete()
    alerts_scan()
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    assert rule.params == {"days": 14, "from_stage_order": 2} and rule.is_active


def test_seeded_rules_match_the_registry(db):
    migration = import_module("forecasting.migrations.0002_alert_rules")
    assert set(migration.RULES) == set(AlertKind.values)
    for rule in AlertRule.objects.all():
        spec = alerts.rule_spec(rule.kind)
        assert (rule.severity, rule.params) == (spec.severity, spec.defaults())
        assert migration.RULES[rule.kind] == (spec.severity, spec.defaults())


# Acknowledge and resolve ---------------------------------------------------------------------


@pytest.fixture
def gap_alert(deal):
    deal(stage="evaluate", customer_stage="prove")
    only(K.STAGE_GAP)
    return alert_of(K.STAGE_GAP)


def test_owner_acknowledges_and_a_manager_resolves(org, gap_alert):
    alert = alert_acknowledge(alert=gap_alert, by=org.rep1, note="Customer is behind on paper.")
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == org.rep1 and alert.acknowledged_at is not None
    with pytest.raises(AlertRefused):
        alert_acknowledge(alert=alert, by=org.rep1)
    with pytest.raises(PermissionRefused):
        alert_resolve(alert=alert, by=org.rep1)

    alert = alert_resolve(alert=alert, by=org.manager_east, note="Discussed in the review.")
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_by == org.manager_east
    assert alert.note == "Customer is behind on paper.\nDiscussed in the review."
    with pytest.raises(DomainError, match="already resolved"):
        alert_resolve(alert=alert, by=org.admin)
    with pytest.raises(DomainError, match="already resolved"):
        alert_acknowledge(alert=alert, by=org.admin)

    # The condition still holds: the next scan raises it again.
    assert alerts_scan() == {"opened": 1, "kept": 0, "resolved": 0}


def test_who_may_not_act_on_an_alert(org, gap_alert):
    for outsider in (org.rep2, org.manager_jiangsu, org.manager_north, org.engineer, org.lead):
        with pytest.raises(PermissionRefused):
            alert_acknowledge(alert=gap_alert, by=outsider)
        with pytest.raises(PermissionRefused):
            alert_resolve(alert=gap_alert, by=outsider)
    assert fresh(gap_alert).status == AlertStatus.OPEN
    assert alerts.alert_can_acknowledge(org.manager_shanghai, gap_alert)
    assert alerts.alert_can_resolve(org.admin, gap_alert)


def test_presales_lead_resolves_request_alerts_and_engineers_acknowledge_their_own(org, deal):
    request = _request(org, deal(stage="design"))
    presales.request_submit(request=request, by=org.rep1)
    ResourceRequest.objects.filter(pk=request.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(hours=49)
    )
    engineer = EngineerProfileFactory(user=org.engineer)
    monday = today() - today().weekday() * DAY + 7 * DAY
    _booking(
        org, fresh(request).opportunity, engineer, hours="60", start=monday, end=monday + 4 * DAY
    )
    AlertRule.objects.exclude(kind__in=[K.REQUEST_WAITING, K.ENGINEER_OVERBOOKED]).update(
        is_active=False
    )
    alerts_scan()

    waiting = alert_of(K.REQUEST_WAITING)
    assert alert_resolve(alert=waiting, by=org.lead).resolved_by == org.lead
    overbooked = alert_of(K.ENGINEER_OVERBOOKED)
    with pytest.raises(PermissionRefused):
        alert_resolve(alert=overbooked, by=org.engineer)
    assert alert_acknowledge(alert=overbooked, by=org.engineer).status == "acknowledged"
    assert alert_resolve(alert=overbooked, by=org.lead).status == "resolved"  # leads Solutions


# Rule settings ---------------------------------------------------------------------------------


def test_rule_update_validates_thresholds_against_the_rules_list(org):
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    with pytest.raises(ValidationError) as refused:
        alert_rule_update(
            rule=rule,
            by=org.admin,
            is_active=True,
            severity="loud",
            params={"days": 0, "from_stage_order": "2.5", "colour": "red"},
        )
    errors = refused.value.message_dict
    assert errors["severity"] == ["Choose a severity from the list."]
    assert errors["days"] == ["Enter a value of at least 1."]
    assert errors["from_stage_order"] == ["Enter a whole number."]
    assert errors["params"] == ["This rule has no threshold colour."]
    assert fresh(rule).params == {"days": 14, "from_stage_order": 2}

    updated = alert_rule_update(
        rule=rule, by=org.admin, is_active=False, severity="critical", params={"days": "21"}
    )
    assert updated.params == {"days": 21, "from_stage_order": 2}
    assert (updated.is_active, updated.severity, updated.updated_by) == (
        False,
        "critical",
        org.admin,
    )


def test_decimal_thresholds_are_stored_exactly():
    assert alerts.params_clean(K.FORECAST_BELOW_TARGET, {"coverage": "1.25"}) == {
        "coverage": "1.25"
    }
    assert alerts.params_clean(K.NO_PRESALES, {"min_amount": 2000000}) == {
        "min_amount": "2000000",
        "from_stage_order": 3,
    }
    with pytest.raises(ValidationError) as refused:
        alerts.params_clean(K.AMOUNT_DROPPED, {"percent": "a lot"})
    assert refused.value.message_dict == {"percent": ["Enter a number."]}
    with pytest.raises(ValidationError) as refused:
        alerts.params_clean(K.AMOUNT_DROPPED, {"percent": 101})
    assert refused.value.message_dict == {"percent": ["Enter a value of at most 100."]}


def test_only_admins_change_rules(org):
    rule = AlertRule.objects.get(kind=K.STALLED)
    for user in (org.manager_east, org.rep1, org.lead):
        with pytest.raises(PermissionRefused):
            alert_rule_update(rule=rule, by=user, is_active=False, severity="info", params={})
    assert fresh(rule).is_active


def test_a_broken_stored_threshold_falls_back_to_its_default(db):
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    rule.params = {"days": "soon", "from_stage_order": 3}
    assert alerts.rule_params(rule) == {"days": 14, "from_stage_order": 3}
