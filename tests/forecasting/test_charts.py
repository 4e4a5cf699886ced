"""The ECharts options of the deal-control pages carry exactly the selectors' numbers, as
floats in JSON, with the drill-down links on the points that have one."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from forecasting import charts, selectors
from forecasting.choices import ForecastMethod
from forecasting.models import ForecastRun, RepMonth
from forecasting.periods import add_months, period_containing

from .dashboard_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(org, pipeline, make_deal):
    return build(org, pipeline, make_deal())


@pytest.fixture
def shanghai(org):
    return selectors.scope_for(org.manager_shanghai)


def floats(values):
    return [None if value is None else float(value) for value in values]


def as_json(option: dict) -> dict:
    """What the page hands to ECharts: must serialise without Decimal, date or lazy text."""
    return json.loads(json.dumps(option))


def test_the_funnel_has_one_point_per_stage_in_order_with_its_drill_down(
    figures, shanghai, pipeline
):
    funnel = selectors.funnel(shanghai, process_id=pipeline.process.pk)
    option = as_json(charts.funnel_option(funnel))
    series = option["series"][0]
    assert series["type"] == "funnel" and series["sort"] == "none"
    assert [item["name"] for item in series["data"]] == [s["name"] for s in funnel["stages"]]
    assert [item["value"] for item in series["data"]] == [400000.0, 500000.0, 0.0]
    assert [item["value"] for item in series["data"]] == floats(
        s["amount"] for s in funnel["stages"]
    )
    assert [item["url"] for item in series["data"]] == [s["drill_url"] for s in funnel["stages"]]
    assert series["data"][0]["url"].startswith(reverse("opportunities:list") + "?status=open")
    counts = as_json(charts.funnel_option(funnel, measure="count"))["series"][0]["data"]
    assert [item["value"] for item in counts] == [3.0, 1.0, 0.0]


def test_the_forecast_bars_are_the_methods_amounts_with_the_target_line(figures, shanghai):
    month = figures.month
    summary = selectors.forecast_summary(shanghai, period_kind="month", period_start=month.start)
    option = as_json(charts.forecast_option(summary))
    series = option["series"][0]
    values = [item["value"] for item in series["data"]]
    assert values == [250000.0, 430000.0, 380000.0, 300000.0]
    assert values[1:] == floats(m["amount"] for m in summary["methods"])
    assert option["xAxis"]["data"][1:] == [m["label"] for m in summary["methods"]]
    assert series["markLine"]["data"][0]["yAxis"] == 1000000.0


def test_the_forecast_has_no_target_line_without_a_target(figures, org):
    scope = selectors.scope_for(org.manager_east, team_id=org.jiangsu.pk)
    summary = selectors.forecast_summary(
        scope, period_kind="month", period_start=figures.month.start
    )
    option = as_json(charts.forecast_option(summary))
    assert "markLine" not in option["series"][0]
    assert [item["value"] for item in option["series"][0]["data"]] == [100000.0, None, None, None]


def test_the_trend_has_a_line_per_method_and_the_target(figures, shanghai):
    trend = selectors.forecast_trend(
        shanghai, period_kind="month", period_start=figures.month.start
    )
    option = as_json(charts.trend_option(trend))
    assert option["xAxis"]["data"] == [day.isoformat() for day in trend["as_of"]]
    lines = {line["name"]: line["data"] for line in option["series"]}
    stage_weighted = str(ForecastMethod.STAGE_WEIGHTED.label)
    assert lines[stage_weighted] == [410000.0, 430000.0]
    assert lines[str(ForecastMethod.HISTORICAL.label)] == [None, 380000.0]
    assert lines["Target"] == [1000000.0, 1000000.0]
    for method, values in trend["series"].items():
        assert lines[charts.method_label(method)] == floats(values)


def test_the_coverage_bars_are_target_won_gap_and_pipeline(figures, shanghai):
    coverage = selectors.coverage(shanghai, period_kind="month", period_start=figures.month.start)
    option = as_json(charts.coverage_option(coverage, pipeline_url="/deals/"))
    data = option["series"][0]["data"]
    assert [item["value"] for item in data] == [1000000.0, 250000.0, 750000.0, 900000.0]
    assert data[3]["url"] == "/deals/"
    assert "url" not in data[0]


def test_the_scorecard_bars_are_each_reps_figures(figures, shanghai, org):
    month = figures.month
    rows = selectors.scorecards(shanghai, start=month.start, end=month.end)
    option = as_json(charts.scorecard_option(rows))
    assert option["xAxis"]["data"] == [row["owner"].get_full_name() for row in rows]
    pipeline, weighted, won, target = option["series"]
    assert [item["value"] for item in pipeline["data"]] == floats(r["pipeline"] for r in rows)
    assert [item["value"] for item in won["data"]] == floats(r["won_amount"] for r in rows)
    assert [item["value"] for item in target["data"]] == floats(r["target"] for r in rows)
    assert [item["url"] for item in pipeline["data"]] == [r["drill_url"] for r in rows]
    by_owner = dict(zip([r["owner"] for r in rows], weighted["data"], strict=True))
    assert by_owner[org.rep1]["value"] == 230000.0
    assert by_owner[org.rep2]["value"] == 10000.0


def test_the_accuracy_chart_has_the_booked_bars_and_a_line_per_method(figures, shanghai, org):
    last = period_containing("month", add_months(figures.month.start, -1))
    RepMonth.objects.create(
        month=last.start, owner=org.rep1, team=org.shanghai, won_amount=Decimal(200000)
    )
    ForecastRun.objects.create(
        method=ForecastMethod.HISTORICAL,
        scope="team",
        team=org.shanghai,
        period_kind="month",
        period_start=last.start,
        period_end=last.end,
        as_of=last.start,
        amount=Decimal(180000),
    )
    accuracy = selectors.forecast_accuracy(shanghai, period_kind="month", periods=3)
    option = as_json(charts.accuracy_option(accuracy))
    assert option["xAxis"]["data"] == [row["period_start"].isoformat() for row in accuracy["rows"]]
    booked, *lines = option["series"]
    assert booked["data"] == [0.0, 0.0, 200000.0]
    historical = next(
        line for line in lines if line["name"] == str(ForecastMethod.HISTORICAL.label)
    )
    assert historical["data"] == [None, None, 180000.0]


def test_empty_selections_give_empty_charts():
    assert charts.funnel_option({"stages": []})["series"][0]["data"] == []
    assert charts.trend_option({"as_of": [], "series": {}, "target": 5})["series"] == []
    assert charts.scorecard_option([])["xAxis"]["data"] == []
    assert charts.number(Decimal("12.50")) == 12.5 and charts.number(None) is None
