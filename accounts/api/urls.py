"""The accounts API's routes, registered in the project's one router (salesops/api/urls.py)
so that the /api/v1/ root lists them with every other endpoint."""

from rest_framework.routers import BaseRouter

from . import views

ROUTES = [
    ("accounts", views.AccountViewSet, "account"),
    ("contacts", views.ContactViewSet, "contact"),
    ("account-tiers", views.TierChangeViewSet, "account-tier"),
    ("tiering-policy", views.TieringPolicyViewSet, "tiering-policy"),
]


def register(router: BaseRouter) -> None:
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
