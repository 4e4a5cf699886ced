"""The opportunities API's routes, registered in the project's one router (salesops/api/urls.py)
so that the /api/v1/ root lists them with every other endpoint."""

from rest_framework.routers import BaseRouter

from . import views

ROUTES = [
    ("processes", views.SalesProcessViewSet, "process"),
    ("opportunities", views.OpportunityViewSet, "opportunity"),
    ("stage-changes", views.StageChangeViewSet, "stage-change"),
    ("gates", views.GateViewSet, "gate"),
    ("activities", views.ActivityViewSet, "activity"),
]


def register(router: BaseRouter) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
