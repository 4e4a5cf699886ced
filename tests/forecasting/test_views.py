"""The deal-control pages: each role's dashboard reads its own scope from stored rows (a
manager their team subtree, a rep their own deals, an admin the company), filters refuse bad
input with form errors, alerts are acknowledged and resolved through the services, the
accuracy page shows the error of past forecasts and only admins start a recompute."""

from decimal import ROUND_HALF_UP, Decimal
from html import unescape

import pytest
from django.urls import reverse

from forecasting import selectors
from forecasting.choices import AlertKind, AlertStatus, ForecastMethod, JobKind, JobStatus, Severity
from forecasting.forms import period_key
from forecasting.models import Alert, ForecastRun, JobRun, RepMonth
from forecasting.periods import add_months, period_containing
from tests.factories import UserFactory

from .dashboard_data import alert, build, snapshot

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("forecasting:dashboard")
ALERTS = reverse("forecasting:alerts")


def page(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def deal(make_deal):
    return make_deal()


@pytest.fixture
def figures(org, pipeline, deal):
    return build(org, pipeline, deal)


def get(client, user, url=DASHBOARD, **params):
    client.force_login(user)
    return client.get(url, {"process": "test", **params} if url == DASHBOARD else params)


def stages(response) -> dict:
    return {
        stage["code"]: (stage["count"], stage["amount"])
        for stage in response.context["funnel"]["stages"]
    }


def scorecard(response, user) -> dict:
    return next(row for row in response.context["scorecards"] if row["owner"] == user)


# Each role's dashboard ------------------------------------------------------------------------


def test_a_manager_sees_the_funnel_coverage_forecasts_and_scorecards_of_their_team(
    org, client, figures
):
    response = get(client, org.manager_shanghai)
    assert response.status_code == 200
    assert response.context["scope"].team == org.shanghai
    assert stages(response) == {
        "first": (3, Decimal("400000.00")),
        "second": (1, Decimal("500000.00")),
        "third": (0, Decimal("0.00")),
    }
    html = page(response)
    first_drill = (
        f"{reverse('opportunities:list')}?status=open&stage=first&process=test"
        f"&within_team={org.shanghai.pk}"
    )
    assert f'href="{first_drill}"' in html
    coverage = response.context["coverage"]
    assert (coverage["target"], coverage["won"], coverage["gap"]) == (
        Decimal("1000000.00"),
        Decimal("250000.00"),
        Decimal("750000.00"),
    )
    assert coverage["open_pipeline"] == Decimal("900000.00")
    assert 'data-testid="coverage-ratio">1.20×' in html
    amounts = {m["method"]: m["amount"] for m in response.context["summary"]["methods"]}
    assert amounts == {
        ForecastMethod.STAGE_WEIGHTED: Decimal("430000.00"),
        ForecastMethod.HISTORICAL: Decimal("380000.00"),
        ForecastMethod.CATEGORY: Decimal("300000.00"),
    }
    assert response.context["trend"]["series"][ForecastMethod.STAGE_WEIGHTED] == [
        Decimal("410000.00"),
        Decimal("430000.00"),
    ]
    assert {row["owner"] for row in response.context["scorecards"]} == {org.rep1, org.rep2}
    alerts = response.context["alerts"]
    assert [a.pk for a in alerts] == [figures.rep1_alert.pk]
    assert "In First for 40 days" in html


def test_the_scorecard_table_shows_each_reps_numbers(org, client, figures):
    response = get(client, org.manager_shanghai)
    row = scorecard(response, org.rep1)
    month = figures.month
    elapsed = (min(month.end, figures.today) - month.start).days + 1
    per_week = (Decimal(12 * 7) / elapsed).quantize(Decimal("0.1"), ROUND_HALF_UP)
    assert row["pipeline"] == Decimal("800000.00")
    assert row["weighted_pipeline"] == Decimal("230000.00")
    assert row["activities_per_week"] == per_week
    html = page(response)
    start = html.index(f'data-testid="scorecard-row" data-owner="{org.rep1.pk}"')
    cells = html[start : html.index("</tr>", start)]
    for expected in (
        'data-testid="score-pipeline"><a href="/opportunities/list/?status=open&owner=',
        ">800,000</a>",
        'data-testid="score-weighted">230,000<',
        'data-testid="score-won">250,000 <span class="text-muted">(2)</span>',
        'data-testid="score-attainment">50.0 %<',
        'data-testid="score-win-rate">66.7 %<',
        'data-testid="score-cycle">60.0<',
        f'data-testid="score-activities">{per_week}<',
        'data-testid="score-conversion">75.0 %<',
        '<span class="badge text-bg-warning">1</span>',
    ):
        assert expected in cells, expected


def test_a_big_scope_lists_the_biggest_pipelines_and_sums_every_rep_per_team(
    org, client, figures, monkeypatch
):
    monkeypatch.setattr("forecasting.views.SCORECARD_ROWS", 1)
    response = get(client, org.manager_east)
    everyone = response.context["scorecards_total"]
    assert everyone > 1
    (shown,) = response.context["scorecards"]
    month = figures.month
    every_row = selectors.scorecards(response.context["scope"], start=month.start, end=month.end)
    biggest = max(every_row, key=lambda row: row["pipeline"] or 0)
    assert shown["owner"] == biggest["owner"]
    assert sum(team["reps"] for team in response.context["team_rollup"]) == everyone
    assert 'data-testid="scorecards-truncated"' in page(response)


def test_a_region_manager_gets_the_executive_view_with_a_row_per_team(org, client, figures):
    response = get(client, org.manager_east)
    assert response.status_code == 200
    assert response.context["scope"].team == org.east
    assert response.context["is_executive"]
    assert stages(response)["third"] == (1, Decimal("800000.00"))
    rollup = {row["team"]: row for row in response.context["team_rollup"]}
    assert set(rollup) == {org.shanghai, org.jiangsu}
    assert rollup[org.shanghai]["pipeline"] == Decimal("900000.00")
    assert rollup[org.jiangsu]["won"] == Decimal("100000.00")
    alert_ids = {a.pk for a in response.context["alerts"]}
    assert alert_ids == {figures.rep1_alert.pk, figures.rep3_alert.pk}


def test_a_manager_narrows_to_a_sub_team_or_a_rep(org, client, figures):
    response = get(client, org.manager_east, team=org.jiangsu.pk)
    assert response.context["scope"].team == org.jiangsu
    assert stages(response) == {
        "first": (0, Decimal("0.00")),
        "second": (0, Decimal("0.00")),
        "third": (1, Decimal("800000.00")),
    }
    response = get(client, org.manager_east, rep=org.rep2.pk)
    assert response.context["scope"].owner == org.rep2
    assert stages(response)["first"] == (1, Decimal("100000.00"))
    assert [row["owner"] for row in response.context["scorecards"]] == [org.rep2]


def test_a_rep_sees_only_their_own_deals(org, client, figures):
    response = get(client, org.rep1)
    assert response.status_code == 200
    assert response.context["scope"].owner == org.rep1
    assert stages(response)["first"] == (2, Decimal("300000.00"))
    assert [row["owner"] for row in response.context["scorecards"]] == [org.rep1]
    assert not response.context["form"].offers_scope
    assert 'name="team"' not in page(response)
    assert [a.pk for a in response.context["alerts"]] == [figures.rep1_alert.pk]


@pytest.mark.parametrize(
    "who, params",
    [
        ("rep1", {"team": "shanghai"}),
        ("rep1", {"team": "jiangsu"}),
        ("rep1", {"rep": "rep3"}),
        ("manager_shanghai", {"team": "jiangsu"}),
        ("manager_shanghai", {"rep": "rep3"}),
        ("manager_east", {"team": "beijing"}),
    ],
)
def test_asking_for_a_team_or_rep_one_may_not_see_is_refused(org, client, figures, who, params):
    query = {key: getattr(org, value).pk for key, value in params.items()}
    response = get(client, getattr(org, who), **query)
    assert response.status_code == 403


def test_an_unknown_team_is_refused_like_a_hidden_one(org, client, figures):
    assert get(client, org.manager_east, team=999999).status_code == 403


def test_an_admin_sees_the_company(org, client, figures):
    response = get(client, org.admin)
    assert response.status_code == 200
    assert response.context["scope"].kind == "company"
    assert response.context["is_executive"]
    assert response.context["funnel"]["totals"]["count"] == 5
    assert "Executive view" in page(response)
    rollup = {row["team"]: row for row in response.context["team_rollup"]}
    assert set(rollup) == {org.east, org.north}
    assert (rollup[org.east]["reps"], rollup[org.east]["pipeline"]) == (3, Decimal("1700000.00"))
    assert (rollup[org.north]["reps"], rollup[org.north]["pipeline"]) == (1, Decimal("0.00"))


@pytest.mark.parametrize(
    "params, field",
    [
        ({"period": "2025-13"}, "period"),
        ({"period": "last year"}, "period"),
        ({"period": "2025-Q5"}, "period"),
        ({"team": "abc"}, "team"),
        ({"rep": "-3"}, "rep"),
        ({"process": "nope"}, "process"),
        ({"measure": "weight"}, "measure"),
    ],
)
def test_bad_filters_come_back_as_form_errors(org, client, figures, params, field):
    response = get(client, org.manager_east, **params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    html = page(response)
    assert f'data-testid="filter-error" data-field="{field}"' in html
    assert 'data-testid="funnel-card"' not in html


def test_the_period_filter_takes_a_quarter_and_past_months(org, client, figures):
    quarter = period_containing("quarter", figures.today)
    response = get(client, org.manager_shanghai, period=period_key(quarter))
    assert response.status_code == 200
    assert response.context["period"] == quarter
    assert all(m["amount"] is None for m in response.context["summary"]["methods"])
    assert response.context["coverage"]["target"] == Decimal("1000000.00")
    last_month = period_containing("month", add_months(figures.month.start, -1))
    response = get(client, org.manager_shanghai, period=period_key(last_month))
    assert response.context["coverage"]["won"] == Decimal("0.00")
    assert 'data-testid="trend-empty"' in page(response)


def test_the_funnel_counts_deals_when_asked(org, client, figures):
    response = get(client, org.manager_shanghai, measure="count")
    data = response.context["funnel_option"]["series"][0]["data"]
    assert [item["value"] for item in data] == [3.0, 1.0, 0.0]
    response = get(client, org.manager_shanghai)
    data = response.context["funnel_option"]["series"][0]["data"]
    assert [item["value"] for item in data] == [400000.0, 500000.0, 0.0]


def test_without_snapshots_the_dashboard_explains_the_nightly_job(org, client, pipeline):
    response = get(client, org.manager_shanghai)
    assert response.status_code == 200
    html = page(response)
    assert 'data-testid="dashboard-empty"' in html
    assert "nightly" in html
    assert 'data-testid="recompute-link"' not in html
    assert 'data-testid="funnel-card"' not in html
    response = get(client, org.admin)
    assert 'data-testid="recompute-link"' in page(response)


def test_the_dashboard_reads_stored_rows_in_a_fixed_number_of_queries(
    org, client, figures, make_deal, pipeline, deal, django_assert_max_num_queries
):
    client.force_login(org.manager_east)
    client.get(DASHBOARD, {"process": "test"})
    with django_assert_max_num_queries(40) as few:
        client.get(DASHBOARD, {"process": "test"})
    for number in range(6):
        make_deal(amount=str(100000 + number))
        rep = UserFactory(team=org.jiangsu)
        snapshot(figures.today, org.jiangsu, rep, pipeline.first, 1, 1000, 100)
        RepMonth.objects.create(month=figures.month.start, owner=rep, team=org.jiangsu)
        alert(deal, team=org.jiangsu, owner=rep, key=f"more:{number}")
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        client.get(DASHBOARD, {"process": "test"})
    scans = [
        query["sql"]
        for query in many.captured_queries
        if 'FROM "opportunities_opportunity"' in query["sql"]
    ]
    assert scans == []


# Alerts ---------------------------------------------------------------------------------------


def test_a_manager_acknowledges_an_alert_with_htmx_and_gets_the_row_back(org, client, figures):
    client.force_login(org.manager_shanghai)
    url = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "acknowledge"])
    response = client.post(url, {"note": "Calling the customer on Monday."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = page(response)
    assert f'id="alert-{figures.rep1_alert.pk}"' in html
    assert 'data-status="acknowledged"' in html
    assert "Alert acknowledged." in html
    assert 'data-testid="alert-acknowledge"' not in html
    assert 'data-testid="alert-resolve"' in html
    figures.rep1_alert.refresh_from_db()
    assert figures.rep1_alert.status == AlertStatus.ACKNOWLEDGED
    assert figures.rep1_alert.acknowledged_by == org.manager_shanghai
    assert figures.rep1_alert.note == "Calling the customer on Monday."


def test_a_plain_post_resolves_and_returns_to_the_page_with_a_message(org, client, figures):
    client.force_login(org.manager_shanghai)
    url = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "resolve"])
    response = client.post(url, {"next": f"{DASHBOARD}?process=test"}, follow=True)
    assert response.redirect_chain == [(f"{DASHBOARD}?process=test", 302)]
    assert "Alert resolved." in page(response)
    figures.rep1_alert.refresh_from_db()
    assert figures.rep1_alert.status == AlertStatus.RESOLVED


def test_a_refusal_is_shown_and_changes_nothing(org, client, figures):
    client.force_login(org.rep1)
    url = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "resolve"])
    response = client.post(url, {}, follow=True)
    assert "Only a manager of the team resolves this alert." in page(response)
    response = client.post(url, {}, HTTP_HX_REQUEST="true")
    html = page(response)
    assert 'data-testid="alert-feedback"' in html
    assert "text-danger" in html
    figures.rep1_alert.refresh_from_db()
    assert figures.rep1_alert.status == AlertStatus.OPEN
    ack = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "acknowledge"])
    client.post(ack, {"note": "x" * 1001}, HTTP_HX_REQUEST="true")
    figures.rep1_alert.refresh_from_db()
    assert figures.rep1_alert.status == AlertStatus.OPEN


def test_a_hidden_alert_answers_404_and_actions_need_post(org, client, figures):
    client.force_login(org.manager_shanghai)
    hidden = reverse("forecasting:alert-action", args=[figures.rep3_alert.pk, "acknowledge"])
    assert client.post(hidden).status_code == 404
    mine = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "acknowledge"])
    assert client.get(mine).status_code == 405
    other = reverse("forecasting:alert-action", args=[figures.rep1_alert.pk, "delete"])
    assert client.post(other).status_code == 404
    assert Alert.objects.get(pk=figures.rep3_alert.pk).status == AlertStatus.OPEN


def test_the_alert_list_filters_explains_and_links_the_subject(org, client, figures, deal):
    response = get(client, org.manager_east, ALERTS)
    assert response.status_code == 200
    ids = [a.pk for a in response.context["page"].object_list]
    assert set(ids) == {figures.rep1_alert.pk, figures.rep3_alert.pk}  # not the resolved one
    html = page(response)
    assert "The nightly scan looks for deals" in html
    assert f'href="{reverse("opportunities:detail", args=[deal.pk])}"' in html
    response = get(client, org.manager_east, ALERTS, severity=Severity.CRITICAL)
    assert [a.pk for a in response.context["page"].object_list] == [figures.rep3_alert.pk]
    response = get(client, org.manager_east, ALERTS, status=AlertStatus.RESOLVED)
    assert [a.pk for a in response.context["page"].object_list] == [figures.resolved.pk]
    response = get(client, org.manager_east, ALERTS, status="", kind=AlertKind.NO_ACTIVITY)
    assert list(response.context["page"].object_list) == []
    response = get(client, org.rep3, ALERTS)
    assert [a.pk for a in response.context["page"].object_list] == [figures.rep3_alert.pk]


def test_bad_alert_filters_are_form_errors(org, client, figures):
    response = get(client, org.manager_east, ALERTS, status="gone", severity="loud")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"status", "severity"}
    assert list(response.context["page"].object_list) == []


def test_the_alert_list_is_paginated(org, client, figures, deal):
    for number in range(27):
        alert(deal, team=org.jiangsu, owner=org.rep3, key=f"extra:{number}")
    response = get(client, org.manager_east, ALERTS)
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.count == 29
    assert 'data-testid="next-page"' in page(response)
    response = get(client, org.manager_east, ALERTS, page=2)
    assert len(response.context["page"].object_list) == 4


def test_the_home_card_lists_the_users_open_alerts(org, client, figures):
    client.force_login(org.rep1)
    assert 'data-testid="home-alerts-slot"' in page(client.get(reverse("home")))
    response = client.get(reverse("forecasting:home-alerts"))
    assert [a.pk for a in response.context["alerts"]] == [figures.rep1_alert.pk]
    assert response.context["total"] == 1
    client.force_login(org.rep4)
    assert get(client, org.rep4, reverse("forecasting:home-alerts")).context["total"] == 0


def test_the_navigation_offers_the_dashboard_and_the_alerts_by_role(org, client):
    def nav(user):
        client.force_login(user)
        return [item["url"] for item in client.get(reverse("home")).context["nav_items"]]

    for user in (org.rep1, org.manager_east, org.admin):
        assert DASHBOARD in nav(user) and ALERTS in nav(user)
    assert DASHBOARD not in nav(org.engineer)
    assert ALERTS in nav(org.engineer)


# Forecast accuracy ----------------------------------------------------------------------------


def test_the_accuracy_page_shows_forecast_against_booked_and_mape(org, client, figures):
    last = period_containing("month", add_months(figures.month.start, -1))
    RepMonth.objects.create(
        month=last.start, owner=org.rep1, team=org.shanghai, won_amount=Decimal(200000)
    )
    for method, amount in [
        (ForecastMethod.STAGE_WEIGHTED, 250000),
        (ForecastMethod.HISTORICAL, 190000),
    ]:
        ForecastRun.objects.create(
            method=method,
            scope="team",
            team=org.shanghai,
            period_kind="month",
            period_start=last.start,
            period_end=last.end,
            as_of=last.start,
            amount=Decimal(amount),
        )
    response = get(client, org.manager_shanghai, reverse("forecasting:accuracy"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 6
    assert rows[-1]["period_start"] == last.start
    assert rows[-1]["actual"] == Decimal("200000.00")
    assert [cell.get("ape") for cell in rows[-1]["cells"]] == [25.0, 5.0, None]
    assert response.context["mape"] == [25.0, 5.0, None]
    html = page(response)
    assert html.count('data-testid="mape-value">') == 3
    assert 'data-testid="mape-value">25.0 %<' in html
    assert 'data-testid="mape-value">5.0 %<' in html
    series = response.context["accuracy_option"]["series"]
    assert series[0]["data"][-1] == 200000.0
    assert series[1]["data"][-1] == 250000.0


def test_the_accuracy_page_checks_its_filters(org, client, figures):
    url = reverse("forecasting:accuracy")
    response = get(client, org.manager_shanghai, url, period_kind="year")
    assert response.status_code == 400
    assert "period_kind" in response.context["form"].errors
    assert get(client, org.rep1, url, team=org.shanghai.pk).status_code == 403
    response = get(client, org.manager_east, url, period_kind="quarter", team=org.jiangsu.pk)
    assert response.status_code == 200
    assert response.context["scope"].team == org.jiangsu


# Recompute now --------------------------------------------------------------------------------


def test_only_admins_may_recompute(org, client):
    url = reverse("forecasting:recompute")
    for user in (org.rep1, org.manager_east, org.lead):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"kind": JobKind.ALL}).status_code == 403
    assert not JobRun.objects.exists()


def test_an_admin_starts_a_recompute_and_follows_its_progress(org, client):
    client.force_login(org.admin)
    url = reverse("forecasting:recompute")
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": JobKind.SNAPSHOTS})
    run = JobRun.objects.get()
    assert (run.kind, run.started_by) == (JobKind.SNAPSHOTS, org.admin)
    assert response.status_code == 302
    assert response["Location"] == f"{url}?run={run.pk}"
    html = page(client.get(response["Location"]))
    assert f'data-testid="job-progress" data-run="{run.pk}" data-status="queued"' in html
    progress = reverse("forecasting:recompute-progress", args=[run.pk])
    assert f'hx-get="{progress}"' in html
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, progress=40, step="Funnel")
    html = page(client.get(progress))
    assert 'data-status="running"' in html and "40 %" in html and "Funnel" in html
    assert 'hx-trigger="every 2s"' in html
    JobRun.objects.filter(pk=run.pk).update(status=JobStatus.DONE, progress=100)
    html = page(client.get(progress))
    assert 'data-status="done"' in html
    assert "hx-trigger" not in html


def test_a_bad_job_kind_is_a_form_error(org, client):
    client.force_login(org.admin)
    response = client.post(reverse("forecasting:recompute"), {"kind": "everything-twice"})
    assert response.status_code == 400
    assert "kind" in response.context["form"].errors
    assert not JobRun.objects.exists()
    progress = reverse("forecasting:recompute-progress", args=[12345])
    assert client.get(progress).status_code == 404


def test_the_dates_of_the_period_choices_cover_this_month_and_quarter(org, client, figures):
    response = get(client, org.manager_shanghai)
    html = page(response)
    month_key = period_key(figures.month)
    quarter_key = period_key(period_containing("quarter", figures.today))
    assert f'<option value="{month_key}"' in html
    assert f'<option value="{quarter_key}"' in html
