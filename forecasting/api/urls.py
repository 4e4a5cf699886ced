"""The forecasting API's routes, registered in the project's one router (salesops/api/urls.py)
so that the /api/v1/ root lists them with every other endpoint."""

from rest_framework.routers import BaseRouter

from . import views

ROUTES = [
    ("funnel", views.FunnelViewSet, "funnel"),
    ("forecasts", views.ForecastRunViewSet, "forecast"),
    ("alerts", views.AlertViewSet, "alert"),
    ("scorecards", views.ScorecardViewSet, "scorecard"),
]


def register(router: BaseRouter) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
