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
    path("days-off/", views.days_off, name="my-days-off"),
    path("engineers/<int:pk>/days-off/", views.days_off, name="days-off"),
    path("engineers/<int:pk>/days-off/remove/", views.days_off_remove, name="days-off-remove"),
    path("reports/", views.reports, name="reports"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/edit/", views.request_edit, name="edit"),
    path("<int:pk>/reject/", views.request_reject, name="reject"),
    path("<int:pk>/cancel/", views.request_cancel, name="cancel"),
    path("<int:pk>/evaluate/", views.request_evaluate, name="evaluate"),
    path("<int:pk>/dispatch/", views.dispatch, name="dispatch"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment-add"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/remove/",
        views.attachment_remove,
        name="attachment-remove",
    ),
    path(
        "<int:pk>/<str:action>/",
        views.request_action,
        name="action",
    ),
]
