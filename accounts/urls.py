from django.urls import path

from . import csv_views, plan_views, views

app_name = "accounts"

urlpatterns = [
    path("", views.account_list, name="list"),
    path("new/", views.account_create, name="create"),
    path("nine-grid/", views.nine_grid, name="nine-grid"),
    path("tiering-policy/", views.tiering_policy, name="tiering-policy"),
    path("tiering-policy/recompute/", views.recompute_now, name="recompute"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:pk>/tier/override/", views.account_override_tier, name="override"),
    path("<int:pk>/tier/clear-override/", views.account_clear_override, name="clear-override"),
    path("<int:pk>/assess/", views.account_assess, name="assess"),
    path("<int:pk>/transfer/", views.account_transfer, name="transfer"),
    path("<int:pk>/team/", views.account_team_set, name="team"),
    path("<int:pk>/contacts/new/", views.contact_create, name="contact-create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact-edit"),
    path("<int:pk>/contacts/chart/", views.contact_chart, name="contact-chart"),
    # Account plans of strategic (tier A) accounts.
    path("<int:pk>/plan/", plan_views.plan_detail, name="plan"),
    path("<int:pk>/plan/<int:year>/", plan_views.plan_detail, name="plan-year"),
    path("<int:pk>/plan/<int:year>/new/", plan_views.plan_create, name="plan-create"),
    path("<int:pk>/plan/<int:year>/edit/", plan_views.plan_edit, name="plan-edit"),
    path("<int:pk>/plan/<int:year>/goals/new/", plan_views.goal_create, name="plan-goal-create"),
    path("<int:pk>/plan/goals/<int:goal_pk>/edit/", plan_views.goal_edit, name="plan-goal-edit"),
    path(
        "<int:pk>/plan/goals/<int:goal_pk>/status/",
        plan_views.goal_status,
        name="plan-goal-status",
    ),
    path(
        "<int:pk>/plan/goals/<int:goal_pk>/delete/",
        plan_views.goal_delete,
        name="plan-goal-delete",
    ),
    path("<int:pk>/plan/<int:year>/wish/new/", plan_views.wish_item_create, name="wish-create"),
    path("<int:pk>/plan/wish/<int:item_pk>/edit/", plan_views.wish_item_edit, name="wish-edit"),
    path(
        "<int:pk>/plan/wish/<int:item_pk>/delete/",
        plan_views.wish_item_delete,
        name="wish-delete",
    ),
    path(
        "<int:pk>/plan/wish/<int:item_pk>/position/",
        plan_views.wish_item_position,
        name="wish-position",
    ),
    path(
        "<int:pk>/plan/wish/<int:item_pk>/escalation/",
        plan_views.wish_item_decide,
        name="wish-decide",
    ),
    path(
        "<int:pk>/plan/<int:year>/roadmap/new/",
        plan_views.roadmap_item_create,
        name="roadmap-create",
    ),
    path(
        "<int:pk>/plan/roadmap/<int:item_pk>/edit/",
        plan_views.roadmap_item_edit,
        name="roadmap-edit",
    ),
    path(
        "<int:pk>/plan/roadmap/<int:item_pk>/delete/",
        plan_views.roadmap_item_delete,
        name="roadmap-delete",
    ),
    # CSV import and export (accounts.imports).
    path("import/", csv_views.csv_import, name="import"),
    path("export.csv", csv_views.account_export, name="export"),
    path("contacts/export.csv", csv_views.contact_export, name="contacts-export"),
]
