"""forecasting.selectors: scopes and their visibility, and the exact figures every dashboard
read returns from known stored rows (see factories_e for the world)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from forecasting import selectors
from forecasting.choices import AlertStatus, ScopeKind
from forecasting.models import FunnelSnapshot, RepMonth
from salesops.exceptions import PermissionRefused
from salesops.models import Target
from tests.factories import UserFactory

from .factories_e import build_world, month_end, run

D = Decimal


@pytest.fixture
def world(org, pipeline, settings):
    settings.FORECASTING_MIN_SAMPLE = 10
    return build_world(org, pipeline)


def stages_by_code(result: dict) -> dict:
    return {
        stage["code"]: (stage["count"], stage["amount"], stage["weighted_amount"])
        for stage in result["stages"]
    }


# Scope and visibility


def test_default_scope_is_the_company_for_admins_the_led_team_for_managers_else_oneself(org):
    assert selectors.scope_for(org.admin).kind == ScopeKind.COMPANY
    east = selectors.scope_for(org.manager_east)
    assert (east.kind, east.team, east.label) == (ScopeKind.TEAM, org.east, "East China")
    assert selectors.scope_for(org.lead).team == org.centre  # the top team they lead
    mine = selectors.scope_for(org.rep1)
    assert (mine.kind, mine.owner, mine.label) == (ScopeKind.REP, org.rep1, org.rep1.name)
    assert selectors.scope_for(org.engineer).owner == org.engineer


def test_a_manager_may_pick_teams_and_reps_of_their_subtree_only(org):
    assert selectors.scope_for(org.manager_east, team_id=org.jiangsu.pk).team == org.jiangsu
    assert selectors.scope_for(org.manager_east, owner_id=org.rep3.pk).owner == org.rep3
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.manager_east, team_id=org.beijing.pk)
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.manager_shanghai, team_id=org.east.pk)  # above their team
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.manager_east, owner_id=org.rep4.pk)
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.manager_east, team_id=999999)


def test_a_rep_sees_only_themselves_not_even_their_own_team(org):
    assert selectors.scope_for(org.rep1, owner_id=org.rep1.pk).owner == org.rep1
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.rep1, team_id=org.shanghai.pk)
    with pytest.raises(PermissionRefused):
        selectors.scope_for(org.rep1, owner_id=org.rep2.pk)


def test_an_owner_wins_over_a_team(org):
    scope = selectors.scope_for(org.admin, team_id=org.beijing.pk, owner_id=org.rep1.pk)
    assert (scope.kind, scope.owner, scope.team) == (ScopeKind.REP, org.rep1, None)


def test_scope_choices_follow_the_led_subtree(org):
    east = selectors.scope_choices(org.manager_east)
    assert [team.name for team in east["teams"]] == ["East China", "Jiangsu", "Shanghai"]
    assert [team.depth for team in east["teams"]] == [1, 2, 2]
    assert {user.username for user in east["reps"]} == {
        "m.east",
        "m.shanghai",
        "m.jiangsu",
        "rep1",
        "rep2",
        "rep3",
    }
    rep = selectors.scope_choices(org.rep1)
    assert (rep["teams"], rep["reps"]) == ([], [org.rep1])
    assert len(selectors.scope_choices(org.admin)["teams"]) == 7


# Funnel


def test_funnel_of_the_company_on_the_latest_snapshot_day(world, org, pipeline):
    result = selectors.funnel(selectors.scope_for(org.admin), process_id=pipeline.process.pk)
    assert result["day"] == world.latest
    assert result["process"] == pipeline.process
    assert stages_by_code(result) == {  # the won stage is not part of the open funnel
        "first": (6, D("1000000.00"), D("100000.00")),
        "second": (1, D("200000.00"), D("80000.00")),
        "third": (1, D("400000.00"), D("280000.00")),
    }
    assert [stage["conversion_rate"] for stage in result["stages"]] == [
        D("0.5"),
        D("0.6"),
        D("0.8"),
    ]
    assert result["totals"] == {
        "count": 8,
        "amount": D("1600000.00"),
        "weighted_amount": D("460000.00"),
    }
    first = result["stages"][0]
    assert (first["name"], first["order"], first["stage_id"]) == ("Stage 1", 1, pipeline.first.pk)
    assert first["drill_url"] == "/opportunities/list/?status=open&stage=first&process=test"


def test_funnel_of_a_team_counts_its_subtree_and_uses_its_own_statistics(world, org, pipeline):
    east = selectors.funnel(selectors.scope_for(org.manager_east), process_id=pipeline.process.pk)
    assert stages_by_code(east) == {
        "first": (3, D("400000.00"), D("40000.00")),
        "second": (1, D("200000.00"), D("80000.00")),
        "third": (1, D("400000.00"), D("280000.00")),
    }
    assert east["totals"]["amount"] == D("1000000.00")
    assert east["stages"][0]["conversion_rate"] == D("0.5")  # East China has none of its own
    assert east["stages"][2]["drill_url"] == (
        f"/opportunities/list/?status=open&stage=third&process=test&within_team={org.east.pk}"
    )

    shanghai = selectors.funnel(
        selectors.scope_for(org.manager_shanghai), process_id=pipeline.process.pk
    )
    assert stages_by_code(shanghai)["third"] == (0, D("0.00"), D("0.00"))
    assert shanghai["totals"] == {
        "count": 4,
        "amount": D("600000.00"),
        "weighted_amount": D("120000.00"),
    }
    assert [stage["conversion_rate"] for stage in shanghai["stages"]] == [
        D("0.7"),
        D("0.6"),
        D("0.8"),
    ]


def test_funnel_of_a_rep_and_of_an_earlier_day(world, org, pipeline):
    mine = selectors.scope_for(org.rep1)
    result = selectors.funnel(mine, process_id=pipeline.process.pk)
    assert stages_by_code(result) == {
        "first": (2, D("300000.00"), D("30000.00")),
        "second": (1, D("200000.00"), D("80000.00")),
        "third": (0, D("0.00"), D("0.00")),
    }
    assert result["stages"][0]["conversion_rate"] == D("0.7")  # their team's figures
    assert result["stages"][1]["drill_url"].endswith(f"process=test&owner={org.rep1.pk}")

    earlier = selectors.funnel(
        mine, process_id=pipeline.process.pk, day=world.latest - datetime.timedelta(days=1)
    )
    assert earlier["day"] == world.older
    assert stages_by_code(earlier)["first"] == (5, D("1000000.00"), D("100000.00"))
    assert earlier["totals"]["count"] == 5

    before_any = selectors.funnel(
        mine, process_id=pipeline.process.pk, day=world.older - datetime.timedelta(days=1)
    )
    assert before_any["day"] is None
    assert before_any["totals"] == {"count": 0, "amount": D("0.00"), "weighted_amount": D("0")}


def test_funnel_defaults_to_the_default_process(world, org):
    result = selectors.funnel(selectors.scope_for(org.admin))
    assert result["process"].is_default
    assert result["day"] is None  # nothing snapshotted for it here
    assert len(result["stages"]) == 7  # eight stages, the won one left out
    assert result["totals"]["count"] == 0


def test_funnel_reads_a_constant_number_of_queries(world, org, pipeline, django_assert_num_queries):
    scope = selectors.scope_for(org.admin)
    with django_assert_num_queries(5):
        selectors.funnel(scope, process_id=pipeline.process.pk)


# Coverage and forecasts


def test_coverage_uses_the_latest_forecast_pipeline_of_the_period(world, org):
    result = selectors.coverage(
        selectors.scope_for(org.rep1), period_kind="month", period_start=world.m1
    )
    assert result == {
        "period": (world.m1, month_end(world.m1)),
        "target": D("400000.00"),
        "won": D("300000.00"),
        "open_pipeline": D("250000.00"),
        "pipeline_source": "forecast",
        "gap": D("100000.00"),
        "coverage_ratio": D("2.50"),
    }


def test_coverage_falls_back_to_the_snapshot_pipeline(world, org):
    # the categories' "pipeline" is one category, not the open pipeline: not used here
    run("category", world.m0, world.m0, 150000, owner=org.rep1, figures={"pipeline": 90000.0})
    rep1 = selectors.coverage(
        selectors.scope_for(org.rep1), period_kind="month", period_start=world.m0
    )
    assert (rep1["target"], rep1["won"], rep1["gap"]) == (D("200000"), D("100000"), D("100000"))
    assert (rep1["open_pipeline"], rep1["pipeline_source"]) == (D("500000.00"), "snapshot")
    assert rep1["coverage_ratio"] == D("5.00")

    shanghai = selectors.coverage(
        selectors.scope_for(org.manager_shanghai), period_kind="month", period_start=world.m1
    )
    # the team's own target (600,000), not its people's (500,000)
    assert (shanghai["target"], shanghai["won"], shanghai["gap"]) == (
        D("600000.00"),
        D("300000.00"),
        D("300000.00"),
    )
    assert shanghai["open_pipeline"] == D("600000.00")
    assert shanghai["coverage_ratio"] == D("2.00")


def test_coverage_has_no_ratio_when_the_target_is_met_or_missing(world, org):
    company = selectors.coverage(
        selectors.scope_for(org.admin), period_kind="month", period_start=world.m1
    )
    # the top-level teams' targets: East China's 1,000,000; booked 300k + 250k + 500k
    assert (company["target"], company["won"], company["gap"]) == (
        D("1000000.00"),
        D("1050000.00"),
        D("-50000.00"),
    )
    assert company["coverage_ratio"] is None
    jiangsu = selectors.coverage(
        selectors.scope_for(org.manager_jiangsu), period_kind="month", period_start=world.m1
    )
    assert (jiangsu["target"], jiangsu["gap"], jiangsu["coverage_ratio"]) == (None, None, None)


def test_targets_fall_back_to_the_people_of_a_team_month_by_month(world, org):
    shanghai = selectors.scope_for(org.manager_shanghai)
    # this month Shanghai has no target of its own: rep1's 200,000
    assert selectors.coverage(shanghai, period_kind="month", period_start=world.m0)["target"] == D(
        "200000.00"
    )
    company = selectors.coverage(
        selectors.scope_for(org.admin), period_kind="month", period_start=world.m0
    )
    assert company["target"] == D("200000.00")


def test_forecast_summary_takes_the_latest_run_of_each_method(world, org):
    summary = selectors.forecast_summary(
        selectors.scope_for(org.rep1), period_kind="month", period_start=world.m1
    )
    later = world.m1 + datetime.timedelta(days=9)
    assert summary["period"] == (world.m1, month_end(world.m1))
    assert (summary["target"], summary["won"]) == (D("400000.00"), D("300000.00"))
    assert [
        (row["method"], row["amount"], row["as_of"], row["vs_target_pct"])
        for row in summary["methods"]
    ] == [
        ("stage_weighted", D("330000.00"), later, 82.5),
        ("historical", D("290000.00"), later, 72.5),
        ("category", D("300000.00"), world.m1, 75.0),
    ]
    assert summary["methods"][0]["figures"] == {"pipeline": 250000.0}
    assert summary["methods"][0]["label"] == "Stage-weighted pipeline"


def test_forecast_summary_lists_every_method_even_without_runs(world, org):
    summary = selectors.forecast_summary(
        selectors.scope_for(org.manager_shanghai), period_kind="quarter", period_start=world.m0
    )
    assert [row["amount"] for row in summary["methods"]] == [None, None, None]
    assert summary["period"][0].month in (1, 4, 7, 10)


def test_forecast_trend_has_one_value_per_method_and_day(world, org):
    trend = selectors.forecast_trend(
        selectors.scope_for(org.rep1), period_kind="month", period_start=world.m1
    )
    assert trend["as_of"] == [world.m1, world.m1 + datetime.timedelta(days=9)]
    assert trend["series"] == {
        "stage_weighted": [D("360000.00"), D("330000.00")],
        "historical": [D("270000.00"), D("290000.00")],
        "category": [D("300000.00"), None],
    }
    assert trend["target"] == D("400000.00")


def test_forecast_accuracy_compares_the_first_forecast_with_the_bookings(world, org):
    accuracy = selectors.forecast_accuracy(
        selectors.scope_for(org.rep1), period_kind="month", periods=3
    )
    rows = accuracy["rows"]
    assert [row["period_start"] for row in rows] == [world.m3, world.m2, world.m1]
    assert [row["actual"] for row in rows] == [D("0.00"), D("50000.00"), D("300000.00")]
    # three months ago nothing was booked: no percentage error
    assert rows[0]["forecasts"]["stage_weighted"] == {"amount": D("10000.00"), "ape": None}
    # the forecast made before the month began does not count
    assert rows[1]["forecasts"]["stage_weighted"] == {"amount": D("40000.00"), "ape": 20.0}
    assert rows[2]["forecasts"] == {
        "stage_weighted": {"amount": D("360000.00"), "ape": 20.0},
        "historical": {"amount": D("270000.00"), "ape": 10.0},
        "category": {"amount": D("300000.00"), "ape": 0.0},
    }
    assert accuracy["mape"] == {"stage_weighted": 20.0, "historical": 10.0, "category": 0.0}


def test_forecast_accuracy_without_runs_has_no_mape(world, org):
    accuracy = selectors.forecast_accuracy(
        selectors.scope_for(org.manager_jiangsu), period_kind="quarter", periods=2
    )
    assert len(accuracy["rows"]) == 2
    assert accuracy["mape"] == {"stage_weighted": None, "historical": None, "category": None}


def test_forecast_runs_visible_to_each_role(world, org):
    runs = world.runs

    def visible(user):
        return set(selectors.forecast_run_list_visible_to(user))

    rep1_runs = {
        runs.sw_first,
        runs.hist_first,
        runs.cat_first,
        runs.sw_later,
        runs.hist_later,
        runs.sw_m2_early,
        runs.sw_m2,
        runs.sw_m3,
    }
    assert len(visible(org.admin)) == 14
    assert visible(org.rep1) == rep1_runs
    assert visible(org.manager_shanghai) == rep1_runs | {runs.rep2, runs.shanghai}
    assert visible(org.manager_east) == rep1_runs | {runs.rep2, runs.shanghai, runs.jiangsu}
    assert visible(org.manager_north) == {runs.rep4, runs.beijing}
    assert visible(org.engineer) == set()


# Scorecards


def test_scorecards_of_a_team_over_two_months(world, org):
    newcomer = UserFactory(username="rep5", team=org.shanghai)
    rows = selectors.scorecards(
        selectors.scope_for(org.manager_shanghai), start=world.m2, end=world.m1
    )
    by_rep = {row["owner"].username: row for row in rows}
    assert set(by_rep) == {"rep1", "rep2", "rep5"}
    days = (month_end(world.m1) - world.m2).days + 1
    rep1 = by_rep["rep1"]
    assert rep1 == {
        "owner": org.rep1,
        "team": org.shanghai,
        "pipeline": D("500000.00"),
        "weighted_pipeline": D("110000.00"),
        "won_amount": D("350000.00"),
        "won_count": 3,
        "lost_count": 1,
        "win_rate": D("0.7500"),
        "avg_cycle_days": D("53.3"),
        "activities_per_week": (D(28 * 7) / days).quantize(D("0.1")),
        "stage_conversion": D("0.7000"),
        "open_alerts": 1,  # a1; a7 is resolved
        "target": D("400000.00"),
        "attainment_pct": 87.5,
        "drill_url": f"/opportunities/list/?status=open&owner={org.rep1.pk}",
    }
    rep2 = by_rep["rep2"]
    assert (rep2["won_amount"], rep2["win_rate"], rep2["avg_cycle_days"]) == (D(0), D(0), None)
    assert (rep2["stage_conversion"], rep2["open_alerts"]) == (D("0.3333"), 1)
    assert (rep2["pipeline"], rep2["target"], rep2["attainment_pct"]) == (
        D("100000.00"),
        D("100000.00"),
        0.0,
    )
    rep5 = by_rep["rep5"]
    assert rep5["owner"] == newcomer
    assert (rep5["won_count"], rep5["win_rate"], rep5["target"], rep5["pipeline"]) == (
        0,
        None,
        None,
        D(0),
    )


def test_scorecards_of_the_company_and_of_one_rep(world, org):
    company = selectors.scorecards(selectors.scope_for(org.admin), start=world.m1, end=world.m1)
    assert {row["owner"].username: row["won_amount"] for row in company} == {
        "rep1": D("300000.00"),
        "rep2": D("0.00"),
        "rep3": D("250000.00"),
        "rep4": D("500000.00"),
    }
    mine = selectors.scorecards(selectors.scope_for(org.rep1), start=world.m0, end=world.m0)
    assert len(mine) == 1
    assert (mine[0]["won_amount"], mine[0]["target"], mine[0]["attainment_pct"]) == (
        D("100000.00"),
        D("200000.00"),
        50.0,
    )


def test_scorecards_read_six_queries_for_thirty_reps(org, pipeline, django_assert_num_queries):
    today = timezone.localdate()
    month = today.replace(day=1)
    reps = [UserFactory(username=f"bulk{index:02d}", team=org.jiangsu) for index in range(30)]
    for index, rep in enumerate(reps):
        RepMonth.objects.create(
            month=month, owner=rep, team=org.jiangsu, won_count=1, won_amount=D(index * 1000)
        )
        FunnelSnapshot.objects.create(
            day=today,
            team=org.jiangsu,
            owner=rep,
            process=pipeline.process,
            stage=pipeline.first,
            count=1,
            amount=D(5000),
            weighted_amount=D(500),
        )
        Target.objects.create(user=rep, month=month, amount=D(10000))
    scope = selectors.scope_for(org.manager_jiangsu)
    with django_assert_num_queries(6):
        rows = selectors.scorecards(scope, start=month, end=month)
    assert len(rows) == 31  # and rep3, who has no rows
    by_rep = {row["owner"].username: row for row in rows}
    assert by_rep["bulk29"]["won_amount"] == D("29000.00")
    assert by_rep["bulk29"]["attainment_pct"] == 290.0
    assert by_rep["bulk29"]["pipeline"] == D("5000.00")


# Alerts


def test_alerts_visible_to_each_role(world, org):
    a = world.alerts

    def visible(user):
        return set(selectors.alert_list_visible_to(user))

    assert visible(org.admin) == {a.a1, a.a2, a.a3, a.a4, a.a6, a.a7}
    assert visible(org.manager_east) == {a.a1, a.a2, a.a3, a.a7}
    assert visible(org.manager_shanghai) == {a.a1, a.a2, a.a7}
    assert visible(org.manager_north) == {a.a4}
    assert visible(org.rep1) == {a.a1, a.a7}
    assert visible(org.rep2) == {a.a2}
    assert visible(org.lead) == {a.a6}
    assert visible(org.engineer) == {a.a6}


def test_alert_counts_of_unresolved_alerts(world, org):
    company = selectors.alert_counts(selectors.scope_for(org.admin))
    assert (company["total"], company["open"]) == (5, 4)
    assert company["by_severity"] == {"info": 0, "warning": 4, "critical": 1}
    assert {kind: n for kind, n in company["by_kind"].items() if n} == {
        "stalled": 2,
        "no_activity": 1,
        "close_date_slipping": 1,
        "engineer_overbooked": 1,
    }
    assert len(company["by_kind"]) == 11
    shanghai = selectors.alert_counts(selectors.scope_for(org.manager_shanghai))
    assert (shanghai["total"], shanghai["open"]) == (2, 1)
    assert shanghai["by_severity"] == {"info": 0, "warning": 1, "critical": 1}
    world.alerts.a1.status = AlertStatus.RESOLVED
    world.alerts.a1.save()
    assert selectors.alert_counts(selectors.scope_for(org.rep1))["total"] == 0


def test_most_severe_first_orders_critical_warning_info_then_latest(org, pipeline):
    from forecasting.models import Alert, AlertRule
    from forecasting.selectors import most_severe_first

    rule = AlertRule.objects.get(kind="stalled")
    now = timezone.now()
    made = {}
    for name, severity, minutes in [
        ("info-new", "info", 1),
        ("warning-old", "warning", 30),
        ("critical-old", "critical", 60),
        ("warning-new", "warning", 2),
    ]:
        made[name] = Alert.objects.create(
            rule=rule,
            kind=rule.kind,
            severity=severity,
            subject_kind="team",
            team=org.shanghai,
            dedup_key=name,
            last_seen_at=now - datetime.timedelta(minutes=minutes),
        )
    ordered = list(most_severe_first(Alert.objects.filter(dedup_key__in=made)))
    assert [alert.dedup_key for alert in ordered] == [
        "critical-old",
        "warning-new",
        "warning-old",
        "info-new",
    ]
