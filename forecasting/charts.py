"""ECharts options for the deal-control pages, built from what forecasting.selectors return.

Each builder returns the whole option as plain JSON-ready data: labels already translated in
the reader's language, money and counts as floats, dates as ISO strings. The template hands it
to includes/chart.html; static/salesops/charts.js only draws it. A data item with a "url" opens
that page on click: that is how a stage or a rep drills down to the deals behind the number.
Every chart has a table beside it with the same numbers.
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .choices import ForecastMethod

PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d", "#198754"]
TARGET_COLOUR = "#dc3545"


def number(value) -> float | None:
    """A Decimal, int or None as what JSON and ECharts take: a float, or null for "no data"."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else float(Decimal(value))


def _day(value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def method_label(method: str) -> str:
    try:
        return str(ForecastMethod(method).label)
    except ValueError:
        return method


def _base(**extra) -> dict:
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "item"},
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "animation": False,
    }
    option.update(extra)
    return option


def funnel_option(funnel: dict, *, measure: str = "amount") -> dict:
    """The open pipeline per stage as a funnel in stage order: deal counts or amounts. Each
    stage opens the list of its open deals in the scope."""
    key = "count" if measure == "count" else "amount"
    data = [
        {"name": stage["name"], "value": number(stage[key]), "url": stage.get("drill_url")}
        for stage in funnel.get("stages", [])
    ]
    series_name = _("Deals") if key == "count" else _("Amount")
    return _base(
        legend={"show": False},
        series=[
            {
                "name": series_name,
                "type": "funnel",
                "sort": "none",  # stage order, not size order: a bulge in stage 5 is the news
                "left": "10%",
                "width": "80%",
                "top": 8,
                "bottom": 8,
                "minSize": "8%",
                "gap": 2,
                "label": {"show": True, "position": "inside"},
                "data": data,
            }
        ],
    )


def forecast_option(summary: dict) -> dict:
    """The forecast of each method for the period as bars, with the won-so-far bar first and
    the target as a line across."""
    methods = summary.get("methods", [])
    categories = [_("Won so far"), *[m.get("label") or method_label(m["method"]) for m in methods]]
    values = [
        {"value": number(summary.get("won")), "itemStyle": {"color": PALETTE[1]}},
        *[{"value": number(m["amount"])} for m in methods],
    ]
    series = {
        "name": _("Forecast"),
        "type": "bar",
        "barMaxWidth": 48,
        "label": {"show": True, "position": "top"},
        "data": values,
    }
    target = number(summary.get("target"))
    if target is not None:
        series["markLine"] = {
            "symbol": "none",
            "lineStyle": {"color": TARGET_COLOUR, "type": "dashed", "width": 2},
            "label": {"formatter": _("Target") + ": {c}"},
            "data": [{"name": _("Target"), "yAxis": target}],
        }
    return _base(
        tooltip={"trigger": "axis"},
        xAxis={"type": "category", "data": categories, "axisLabel": {"interval": 0}},
        yAxis={"type": "value"},
        series=[series],
    )


def trend_option(trend: dict) -> dict:
    """How each method's forecast for the period moved, day by day, against the target."""
    days = [_day(day) for day in trend.get("as_of", [])]
    series = [
        {
            "name": method_label(method),
            "type": "line",
            "connectNulls": True,
            "data": [number(value) for value in values],
        }
        for method, values in trend.get("series", {}).items()
    ]
    target = number(trend.get("target"))
    if target is not None and days:
        series.append(
            {
                "name": _("Target"),
                "type": "line",
                "symbol": "none",
                "lineStyle": {"type": "dashed", "color": TARGET_COLOUR},
                "itemStyle": {"color": TARGET_COLOUR},
                "data": [target] * len(days),
            }
        )
    return _base(
        tooltip={"trigger": "axis"},
        legend={"top": 0},
        grid={"left": 8, "right": 40, "top": 40, "bottom": 8, "containLabel": True},
        xAxis={"type": "category", "data": days, "boundaryGap": False},
        yAxis={"type": "value"},
        series=series,
    )


def coverage_option(coverage: dict, *, pipeline_url: str | None = None) -> dict:
    """Target, won so far, the gap and the open pipeline closing in the period, side by side:
    coverage is how many times the pipeline covers the gap."""
    pipeline = {"value": number(coverage.get("open_pipeline")), "itemStyle": {"color": PALETTE[0]}}
    if pipeline_url:
        pipeline["url"] = pipeline_url
    data = [
        {"value": number(coverage.get("target")), "itemStyle": {"color": TARGET_COLOUR}},
        {"value": number(coverage.get("won")), "itemStyle": {"color": PALETTE[1]}},
        {"value": number(coverage.get("gap")), "itemStyle": {"color": PALETTE[2]}},
        pipeline,
    ]
    return _base(
        tooltip={"trigger": "axis"},
        grid={"left": 8, "right": 72, "top": 8, "bottom": 8, "containLabel": True},
        xAxis={"type": "value"},
        yAxis={
            "type": "category",
            "inverse": True,
            "data": [_("Target"), _("Won so far"), _("Gap to target"), _("Open pipeline")],
        },
        series=[
            {
                "name": _("Amount"),
                "type": "bar",
                "barMaxWidth": 28,
                "label": {"show": True, "position": "right"},
                "data": data,
            }
        ],
    )


def scorecard_option(rows: list[dict]) -> dict:
    """Per rep: pipeline, weighted pipeline, won and target as grouped bars; a rep's bars open
    their open deals."""
    names = [row["owner"].get_full_name() for row in rows]

    def bars(name: str, key: str, *, linked: bool) -> dict:
        data = []
        for row in rows:
            item = {"value": number(row.get(key))}
            if linked and row.get("drill_url"):
                item["url"] = row["drill_url"]
            data.append(item)
        return {"name": name, "type": "bar", "barMaxWidth": 24, "data": data}

    return _base(
        tooltip={"trigger": "axis"},
        legend={"top": 0},
        xAxis={"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
        yAxis={"type": "value"},
        series=[
            bars(_("Pipeline"), "pipeline", linked=True),
            bars(_("Weighted pipeline"), "weighted_pipeline", linked=True),
            bars(_("Won"), "won_amount", linked=False),
            bars(_("Target"), "target", linked=False),
        ],
    )


def accuracy_option(accuracy: dict) -> dict:
    """What was booked in each past period against what each method had forecast for it."""
    rows = accuracy.get("rows", [])
    periods = [_day(row["period_start"]) for row in rows]
    methods = list(accuracy.get("mape", {}).keys())
    series = [
        {
            "name": _("Booked"),
            "type": "bar",
            "barMaxWidth": 32,
            "itemStyle": {"color": PALETTE[1]},
            "data": [number(row.get("actual")) for row in rows],
        }
    ]
    for method in methods:
        series.append(
            {
                "name": method_label(method),
                "type": "line",
                "connectNulls": False,
                "data": [
                    number((row.get("forecasts", {}).get(method) or {}).get("amount"))
                    for row in rows
                ],
            }
        )
    return _base(
        tooltip={"trigger": "axis"},
        legend={"top": 0},
        xAxis={"type": "category", "data": periods},
        yAxis={"type": "value"},
        series=series,
    )
