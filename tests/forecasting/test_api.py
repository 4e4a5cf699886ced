"""The forecasting API: the funnel and scorecard reports of a scope (400 for bad parameters,
403 for a team or rep the caller may not see), forecasts and alerts scoped to the caller with
their filters, acknowledging and resolving alerts, query counts and the schema."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

from forecasting.alerts import describe
from forecasting.choices import AlertKind, AlertStatus
from forecasting.models import Alert

from .factories_e import alert, build_world

FUNNEL = "/api/v1/funnel/"
FORECASTS = "/api/v1/forecasts/"
ALERTS = "/api/v1/alerts/"
SCORECARDS = "/api/v1/scorecards/"


@pytest.fixture
def world(org, pipeline, settings):
    settings.FORECASTING_MIN_SAMPLE = 10
    return build_world(org, pipeline)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ok(response) -> dict:
    assert response.status_code == 200, response.json()
    return response.json()


def ids(response) -> set[int]:
    return {row["id"] for row in ok(response)["results"]}


def month(day: datetime.date) -> str:
    return day.strftime("%Y-%m")


# Funnel


def test_funnel_of_the_managers_team_by_default(world, org):
    body = ok(client_for(org.manager_shanghai).get(FUNNEL, {"process": "test"}))
    assert body["scope"] == {
        "kind": "team",
        "team": {"id": org.shanghai.pk, "name": "Shanghai"},
        "owner": None,
        "label": "Shanghai",
    }
    assert body["day"] == world.latest.isoformat()
    assert body["process"] == {"code": "test", "name": "Test"}
    assert [
        (s["code"], s["count"], s["amount"], s["weighted_amount"], s["conversion_rate"])
        for s in body["stages"]
    ] == [
        ("first", 3, "400000.00", "40000.00", "0.7000"),
        ("second", 1, "200000.00", "80000.00", "0.6000"),
        ("third", 0, "0.00", "0.00", "0.8000"),
    ]
    assert body["totals"] == {"count": 4, "amount": "600000.00", "weighted_amount": "120000.00"}
    assert body["stages"][0]["drill_url"] == (
        f"/opportunities/list/?status=open&stage=first&process=test&within_team={org.shanghai.pk}"
    )


def test_funnel_of_a_team_rep_or_day_asked_for(world, org):
    admin = client_for(org.admin)
    assert ok(admin.get(FUNNEL, {"process": "test"}))["totals"]["count"] == 8
    east = ok(admin.get(FUNNEL, {"process": "test", "team": org.east.pk}))
    assert (east["scope"]["label"], east["totals"]["amount"]) == ("East China", "1000000.00")
    rep = ok(admin.get(FUNNEL, {"process": "test", "owner": org.rep4.pk}))
    assert (rep["scope"]["kind"], rep["totals"]["amount"]) == ("rep", "600000.00")
    earlier = ok(
        admin.get(FUNNEL, {"process": "test", "day": world.older.isoformat(), "owner": org.rep1.pk})
    )
    assert (earlier["day"], earlier["totals"]["count"]) == (world.older.isoformat(), 5)


def test_a_rep_gets_their_own_funnel_and_is_refused_their_team(world, org):
    rep1 = client_for(org.rep1)
    body = ok(rep1.get(FUNNEL, {"process": "test"}))
    assert body["scope"]["owner"]["id"] == org.rep1.pk
    assert body["totals"]["count"] == 3
    refused = rep1.get(FUNNEL, {"team": org.shanghai.pk})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You cannot see this team's figures.", "reasons": []}
    assert rep1.get(FUNNEL, {"owner": org.rep2.pk}).status_code == 403


def test_funnel_refuses_another_subtree_and_unknown_ids_alike(world, org):
    manager = client_for(org.manager_shanghai)
    assert manager.get(FUNNEL, {"team": org.beijing.pk}).status_code == 403
    assert manager.get(FUNNEL, {"team": org.east.pk}).status_code == 403
    assert manager.get(FUNNEL, {"team": 999999}).status_code == 403
    assert manager.get(FUNNEL, {"owner": org.rep3.pk}).status_code == 403


def test_funnel_answers_400_with_field_messages_for_bad_parameters(world, org):
    response = client_for(org.admin).get(
        FUNNEL, {"day": "yesterday", "process": "nope", "team": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"day", "process", "team"}
    assert response.json()["process"] == ["Object with code=nope does not exist."]


def test_funnel_requires_authentication(world):
    assert APIClient().get(FUNNEL).status_code in (401, 403)


# Forecasts


def test_forecasts_are_scoped_to_the_caller(world, org):
    runs = world.runs
    rep1_runs = {
        run.pk
        for run in (
            runs.sw_first,
            runs.hist_first,
            runs.cat_first,
            runs.sw_later,
            runs.hist_later,
            runs.sw_m2_early,
            runs.sw_m2,
            runs.sw_m3,
        )
    }
    assert ok(client_for(org.admin).get(FORECASTS))["count"] == 14
    assert ids(client_for(org.rep1).get(FORECASTS)) == rep1_runs
    assert ids(client_for(org.manager_shanghai).get(FORECASTS)) == rep1_runs | {
        runs.rep2.pk,
        runs.shanghai.pk,
    }
    assert ids(client_for(org.manager_north).get(FORECASTS)) == {runs.rep4.pk, runs.beijing.pk}
    assert client_for(org.rep1).get(f"{FORECASTS}{runs.company.pk}/").status_code == 404
    assert client_for(org.manager_east).get(f"{FORECASTS}{runs.beijing.pk}/").status_code == 404


def test_forecast_detail(world, org):
    run = world.runs.sw_later
    body = ok(client_for(org.rep1).get(f"{FORECASTS}{run.pk}/"))
    assert body["method"] == "stage_weighted"
    assert body["method_display"] == "Stage-weighted pipeline"
    assert (body["scope"], body["team"]) == ("rep", None)
    assert body["owner"]["id"] == org.rep1.pk
    assert (body["amount"], body["figures"]) == ("330000.00", {"pipeline": 250000.0})
    assert body["as_of"] == (world.m1 + datetime.timedelta(days=9)).isoformat()


def test_forecast_filters_and_ordering(world, org):
    admin = client_for(org.admin)
    runs = world.runs
    assert ids(admin.get(FORECASTS, {"scope": "team"})) == {
        runs.shanghai.pk,
        runs.jiangsu.pk,
        runs.beijing.pk,
    }
    assert ids(admin.get(FORECASTS, {"scope": "company"})) == {runs.company.pk}
    assert ids(admin.get(FORECASTS, {"team": org.jiangsu.pk})) == {runs.jiangsu.pk}
    assert ids(admin.get(FORECASTS, {"owner": org.rep1.pk, "method": "historical"})) == {
        runs.hist_first.pk,
        runs.hist_later.pk,
    }
    assert ids(
        admin.get(FORECASTS, {"owner": org.rep1.pk, "period_start": world.m2.isoformat()})
    ) == {runs.sw_m2_early.pk, runs.sw_m2.pk}
    assert ids(admin.get(FORECASTS, {"owner": org.rep1.pk, "as_of": world.m3.isoformat()})) == {
        runs.sw_m3.pk
    }
    window = {
        "owner": org.rep1.pk,
        "as_of_after": (world.m2 - datetime.timedelta(days=5)).isoformat(),
        "as_of_before": (world.m2 + datetime.timedelta(days=3)).isoformat(),
    }
    assert ids(admin.get(FORECASTS, window)) == {runs.sw_m2_early.pk, runs.sw_m2.pk}
    assert ok(admin.get(FORECASTS, {"period_kind": "quarter"}))["count"] == 0
    ordered = ok(admin.get(FORECASTS, {"scope": "team", "ordering": "-amount"}))["results"]
    assert [row["amount"] for row in ordered] == ["500000.00", "480000.00", "260000.00"]
    assert admin.get(FORECASTS, {"method": "crystal_ball"}).status_code == 400


def test_forecasts_are_read_only(world, org):
    response = client_for(org.admin).post(FORECASTS, {"method": "stage_weighted"})
    assert response.status_code == 405


# Alerts


def test_alerts_are_scoped_to_the_caller_with_their_explanation(world, org):
    a = world.alerts
    assert ids(client_for(org.rep1).get(ALERTS)) == {a.a1.pk, a.a7.pk}
    assert ids(client_for(org.manager_east).get(ALERTS)) == {a.a1.pk, a.a2.pk, a.a3.pk, a.a7.pk}
    assert ids(client_for(org.lead).get(ALERTS)) == {a.a6.pk}
    assert client_for(org.rep1).get(f"{ALERTS}{a.a2.pk}/").status_code == 404

    body = ok(client_for(org.rep2).get(f"{ALERTS}{a.a2.pk}/"))
    assert body["explanation"] == (
        "No activity logged since the deal was opened 20 days ago; the limit is 14 days."
    )
    assert (body["kind"], body["kind_display"]) == ("no_activity", "No recent activity")
    assert (body["severity"], body["status"]) == ("critical", "acknowledged")
    assert body["owner"]["id"] == org.rep2.pk
    assert body["team"] == {"id": org.shanghai.pk, "name": "Shanghai"}
    assert body["facts"] == {"days": 20, "limit_days": 14, "last_activity": None}


def test_alert_explanation_comes_in_the_request_language(world, org):
    body = ok(client_for(org.rep1).get(f"{ALERTS}{world.alerts.a1.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert body["explanation"] == "In Stage 1 for 30 days; 80% of deals leave it within 12.5 days."
    chinese = ok(
        client_for(org.rep1).get(f"{ALERTS}{world.alerts.a1.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    with translation.override("zh-hans"):
        assert chinese["explanation"] == describe(world.alerts.a1)


def test_alert_filters(world, org):
    a = world.alerts
    admin = client_for(org.admin)
    assert ids(admin.get(ALERTS, {"status": "open"})) == {a.a1.pk, a.a3.pk, a.a4.pk, a.a6.pk}
    assert ids(admin.get(ALERTS, {"status": ["acknowledged", "resolved"]})) == {a.a2.pk, a.a7.pk}
    assert ids(admin.get(ALERTS, {"kind": "stalled", "status": "open"})) == {a.a1.pk, a.a4.pk}
    assert ids(admin.get(ALERTS, {"severity": "critical"})) == {a.a2.pk}
    assert ids(admin.get(ALERTS, {"subject_kind": "engineer"})) == {a.a6.pk}
    assert ids(admin.get(ALERTS, {"team": org.jiangsu.pk})) == {a.a3.pk}
    assert ids(admin.get(ALERTS, {"within_team": org.east.pk})) == {
        a.a1.pk,
        a.a2.pk,
        a.a3.pk,
        a.a7.pk,
    }
    assert ids(admin.get(ALERTS, {"owner": org.rep4.pk})) == {a.a4.pk}
    assert admin.get(ALERTS, {"severity": "apocalyptic"}).status_code == 400


def test_alert_filter_by_opportunity(world, org, make_deal):
    deal = make_deal()
    on_deal = alert(
        AlertKind.NO_PRESALES, team=org.shanghai, owner=org.rep1, opportunity=deal, facts={}
    )
    body = ok(client_for(org.rep1).get(ALERTS, {"opportunity": deal.pk}))
    assert [row["id"] for row in body["results"]] == [on_deal.pk]
    assert body["results"][0]["opportunity"] == {"id": deal.pk, "name": "MES rollout"}


def test_the_rep_acknowledges_their_alert_with_a_note(world, org):
    alert_1 = world.alerts.a1
    response = client_for(org.rep1).post(
        f"{ALERTS}{alert_1.pk}/acknowledge/", {"note": "Meeting booked"}, format="json"
    )
    body = ok(response)
    assert (body["id"], body["status"], body["note"]) == (
        alert_1.pk,
        "acknowledged",
        "Meeting booked",
    )
    assert body["acknowledged_by"]["id"] == org.rep1.pk
    alert_1.refresh_from_db()
    assert (alert_1.status, alert_1.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, org.rep1)

    again = client_for(org.rep1).post(f"{ALERTS}{alert_1.pk}/acknowledge/")
    assert again.status_code == 400
    assert again.json() == {"detail": "This alert is already acknowledged.", "reasons": []}


def test_only_a_manager_resolves_and_an_unseen_alert_is_404(world, org):
    a = world.alerts
    refused = client_for(org.rep1).post(f"{ALERTS}{a.a1.pk}/resolve/", {"note": "done"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Only a manager of the team resolves this alert."
    assert Alert.objects.get(pk=a.a1.pk).status == AlertStatus.OPEN

    assert client_for(org.rep1).post(f"{ALERTS}{a.a3.pk}/acknowledge/").status_code == 404
    assert client_for(org.manager_shanghai).post(f"{ALERTS}{a.a3.pk}/resolve/").status_code == 404

    body = ok(client_for(org.manager_shanghai).post(f"{ALERTS}{a.a1.pk}/resolve/"))
    assert (body["status"], body["resolved_by"]["id"], body["note"]) == (
        "resolved",
        org.manager_shanghai.pk,
        "",
    )
    again = client_for(org.manager_east).post(f"{ALERTS}{a.a1.pk}/resolve/")
    assert again.status_code == 400
    assert again.json()["detail"] == "This alert is already resolved."


def test_a_note_longer_than_allowed_is_a_field_error(world, org):
    response = client_for(org.rep1).post(
        f"{ALERTS}{world.alerts.a1.pk}/acknowledge/", {"note": "x" * 2001}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"note"}
    assert Alert.objects.get(pk=world.alerts.a1.pk).status == AlertStatus.OPEN


def test_alert_list_query_count_does_not_grow(world, org, django_assert_max_num_queries):
    admin = client_for(org.admin)
    with django_assert_max_num_queries(6) as few:
        assert ok(admin.get(ALERTS))["count"] == 6
    for index in range(10):
        alert(
            AlertKind.NO_ACTIVITY,
            team=org.beijing,
            owner=org.rep4,
            facts={"days": 15 + index, "limit_days": 14, "last_activity": None},
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert ok(admin.get(ALERTS))["count"] == 16


# Scorecards


def test_scorecards_of_a_team_for_a_range_of_months(world, org):
    body = ok(
        client_for(org.manager_east).get(
            SCORECARDS, {"team": org.shanghai.pk, "start": month(world.m2), "end": month(world.m1)}
        )
    )
    assert body["scope"]["label"] == "Shanghai"
    assert (body["start"], body["end"]) == (world.m2.isoformat(), world.m1.isoformat())
    rows = {row["owner"]["id"]: row for row in body["rows"]}
    assert set(rows) == {org.rep1.pk, org.rep2.pk}
    rep1 = rows[org.rep1.pk]
    assert (rep1["won_amount"], rep1["won_count"], rep1["lost_count"]) == ("350000.00", 3, 1)
    assert (rep1["win_rate"], rep1["avg_cycle_days"], rep1["stage_conversion"]) == (
        "0.7500",
        "53.3",
        "0.7000",
    )
    assert (rep1["pipeline"], rep1["weighted_pipeline"]) == ("500000.00", "110000.00")
    assert (rep1["target"], rep1["attainment_pct"], rep1["open_alerts"]) == ("400000.00", 87.5, 1)
    assert rep1["team"] == {"id": org.shanghai.pk, "name": "Shanghai"}
    assert rows[org.rep2.pk]["avg_cycle_days"] is None


def test_scorecards_default_to_the_callers_scope_and_the_quarter_to_date(world, org):
    body = ok(client_for(org.rep1).get(SCORECARDS))
    assert [row["owner"]["id"] for row in body["rows"]] == [org.rep1.pk]
    assert body["end"] == world.m0.isoformat()
    start = datetime.date.fromisoformat(body["start"])
    assert (start.month - 1) % 3 == 0 and start <= world.m0
    assert client_for(org.rep1).get(SCORECARDS, {"owner": org.rep3.pk}).status_code == 403
    assert client_for(org.manager_north).get(SCORECARDS, {"team": org.east.pk}).status_code == 403


def test_scorecards_refuse_a_reversed_or_too_long_range(world, org):
    admin = client_for(org.admin)
    reversed_range = admin.get(SCORECARDS, {"start": month(world.m0), "end": month(world.m2)})
    assert reversed_range.status_code == 400
    assert reversed_range.json() == {"end": ["The last month is before the first."]}
    too_long = admin.get(SCORECARDS, {"start": "2020-01", "end": "2022-01"})
    assert too_long.status_code == 400
    assert too_long.json() == {"end": ["Ask for at most 24 months at a time."]}
    assert admin.get(SCORECARDS, {"start": "January"}).status_code == 400


# Schema


def test_schema_documents_the_forecasting_endpoints(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    schema = (tmp_path / "api.yaml").read_text()
    for path in [
        "/api/v1/funnel/:",
        "/api/v1/forecasts/:",
        "/api/v1/forecasts/{id}/:",
        "/api/v1/alerts/:",
        "/api/v1/alerts/{id}/acknowledge/:",
        "/api/v1/alerts/{id}/resolve/:",
        "/api/v1/scorecards/:",
    ]:
        assert path in schema
    funnel = schema.split("/api/v1/funnel/:")[1].split("\n  /api/")[0]
    assert "$ref: '#/components/schemas/Funnel'" in funnel  # one report, not a list
    assert "name: process" in funnel and "name: owner" in funnel


def test_api_root_lists_the_forecasting_endpoints(org):
    body = ok(client_for(org.rep1).get("/api/v1/"))
    for name in ["funnel", "forecasts", "alerts", "scorecards"]:
        assert name in body
