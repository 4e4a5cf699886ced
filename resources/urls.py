from django.urls import path

from . import views

app_name = "resources"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("new/", views.request_create, name="create"),
    path("queue/", views.queue, name="queue"),
    path("queue/approve/", views.queue_approve, name="queue-approve"),
    path("assignments/", views.assignments, name="assignments"),
    path("assignments/<int:pk>/log/", views.time_log, name="time-log"),
    path("load/", views.load, name="load"),
    path("reports/", views.reports, name="reports"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/edit/", views.request_edit, name="edit"),
    path("<int:pk>/reject/", views.request_reject, name="reject"),
    path("<int:pk>/cancel/", views.request_cancel, name="cancel"),
    path("<int:pk>/evaluate/", views.request_evaluate, name="evaluate"),
    path("<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path(
        "<int:pk>/<str:action>/",
        views.request_action,
        name="action",
    ),
]
