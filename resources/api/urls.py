"""The resources API's routes, registered in the project's one router (salesops/api/urls.py)
so that the /api/v1/ root lists them with every other endpoint."""

from rest_framework.routers import BaseRouter

from . import views

ROUTES = [
    ("engineers", views.EngineerViewSet, "engineer"),
    ("resource-requests", views.ResourceRequestViewSet, "resource-request"),
    ("time-entries", views.TimeEntryViewSet, "time-entry"),
]


def register(router: BaseRouter) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
