"""ECharts options for the presales contribution report, built from what
selectors.contribution_by_engineer() returns.

Each builder returns the whole option as JSON-ready data: labels translated in the reader's
language, hours, money and ratios as floats (None, drawn as a gap, where there is nothing to
divide by). The template hands it to includes/chart.html; static/salesops/charts.js only draws
it. The report page keeps a table beside each chart with the same numbers."""

from decimal import Decimal

from django.utils.translation import gettext as _

from .choices import RequestType

PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#6c757d", "#198754"]
ZERO = Decimal(0)


def number(value) -> float | None:
    return None if value is None else float(value)


def percent(ratio) -> float | None:
    """A ratio of 0–1 as a percentage with one decimal."""
    return None if ratio is None else round(float(ratio) * 100, 1)


def _base(**extra) -> dict:
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 40, "bottom": 8, "containLabel": True},
        "animation": False,
    }
    option.update(extra)
    return option


def _names(rows: list[dict]) -> list[str]:
    return [row["name"] for row in rows]


def type_totals(rows: list[dict]) -> list[dict]:
    """Per request type with logged hours, in the order of the types: hours and cost over the
    engineers, and each engineer's hours (in the order of the rows)."""
    totals = []
    for kind in RequestType.values:
        per_engineer = [
            next((item for item in row["by_type"] if item["kind"] == kind), None) for row in rows
        ]
        if not any(per_engineer):
            continue
        totals.append(
            {
                "kind": kind,
                "label": str(RequestType(kind).label),
                "hours": sum((item["hours"] for item in per_engineer if item), ZERO),
                "cost": sum((item["cost"] for item in per_engineer if item), ZERO),
                "per_engineer": [item["hours"] if item else ZERO for item in per_engineer],
            }
        )
    return totals


def utilisation_option(rows: list[dict]) -> dict:
    """Per engineer: available hours against the hours logged (bars), and the utilisation in
    per cent (a line on the right axis)."""
    return _base(
        xAxis={"type": "category", "data": _names(rows), "axisLabel": {"interval": 0}},
        yAxis=[
            {"type": "value", "name": _("Hours")},
            {"type": "value", "name": "%", "splitLine": {"show": False}},
        ],
        series=[
            {
                "name": _("Available hours"),
                "type": "bar",
                "data": [number(row["available_hours"]) for row in rows],
            },
            {
                "name": _("Logged hours"),
                "type": "bar",
                "data": [number(row["logged_hours"]) for row in rows],
            },
            {
                "name": _("Utilisation"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [percent(row["utilisation"]) for row in rows],
            },
        ],
    )


def hours_by_type_option(rows: list[dict], totals: list[dict] | None = None) -> dict:
    """Hours logged per request type, one stacked bar per type with a part per engineer."""
    totals = type_totals(rows) if totals is None else totals
    return _base(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={"type": "category", "data": [item["label"] for item in totals]},
        yAxis={"type": "value", "name": _("Hours")},
        series=[
            {
                "name": row["name"],
                "type": "bar",
                "stack": "hours",
                "data": [number(item["per_engineer"][index]) for item in totals],
            }
            for index, row in enumerate(rows)
        ],
    )


def cost_by_type_option(rows: list[dict], totals: list[dict] | None = None) -> dict:
    """The cost of the hours logged, split by request type."""
    totals = type_totals(rows) if totals is None else totals
    return _base(
        tooltip={"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        series=[
            {
                "name": _("Cost"),
                "type": "pie",
                "radius": ["35%", "65%"],
                "top": 24,
                "data": [{"name": item["label"], "value": number(item["cost"])} for item in totals],
            }
        ],
    )


def evaluation_option(rows: list[dict]) -> dict:
    """Per engineer: the tech-win rate in per cent (bars, left axis) and the average rating
    of 1–5 (a line, right axis), over the requests evaluated in the period."""
    return _base(
        xAxis={"type": "category", "data": _names(rows), "axisLabel": {"interval": 0}},
        yAxis=[
            {"type": "value", "name": "%", "min": 0, "max": 100},
            {
                "type": "value",
                "name": _("Rating"),
                "min": 0,
                "max": 5,
                "splitLine": {"show": False},
            },
        ],
        series=[
            {
                "name": _("Tech-win rate"),
                "type": "bar",
                "data": [percent(row["tech_win_rate"]) for row in rows],
            },
            {
                "name": _("Average rating"),
                "type": "line",
                "yAxisIndex": 1,
                "connectNulls": False,
                "data": [number(row["average_rating"]) for row in rows],
            },
        ],
    )


def contribution_charts(rows: list[dict]) -> dict:
    """Every option of the report page, and the per-type totals its table shows."""
    totals = type_totals(rows)
    return {
        "type_totals": totals,
        "utilisation_option": utilisation_option(rows),
        "hours_by_type_option": hours_by_type_option(rows, totals),
        "cost_by_type_option": cost_by_type_option(rows, totals),
        "evaluation_option": evaluation_option(rows),
    }
