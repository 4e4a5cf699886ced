from django.urls import path

from . import views

app_name = "forecasting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/home/", views.home_alerts, name="home-alerts"),
    path("alerts/<int:pk>/<str:action>/", views.alert_action, name="alert-action"),
    path("accuracy/", views.accuracy, name="accuracy"),
    path("recompute/", views.recompute, name="recompute"),
    path("recompute/<int:pk>/", views.recompute_progress, name="recompute-progress"),
]
