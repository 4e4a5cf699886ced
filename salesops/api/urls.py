from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.urls import register as register_accounts
from forecasting.api.urls import register as register_forecasting
from opportunities.api.urls import register as register_opportunities
from resources.api.urls import register as register_resources

from . import views

router = DefaultRouter()
router.register("users", views.UserViewSet, basename="user")
router.register("teams", views.TeamViewSet, basename="team")
router.register("targets", views.TargetViewSet, basename="target")
register_accounts(router)
register_opportunities(router)
register_resources(router)
register_forecasting(router)

urlpatterns = [
    path("auth/token/", views.obtain_token, name="api-token"),
    path("me/", views.me, name="api-me"),
    path("", include(router.urls)),
]
