from django.urls import path

from .views import board, deal

app_name = "opportunities"

urlpatterns = [
    # Pipeline board and list (opportunities.views.board).
    path("", board.pipeline, name="pipeline"),
    path("list/", board.opportunity_list, name="list"),
    path("<int:pk>/move/", board.move, name="move"),
    # One deal and its work (opportunities.views.deal).
    path("new/", deal.create, name="create"),
    path("<int:pk>/", deal.detail, name="detail"),
    path("<int:pk>/edit/", deal.edit, name="edit"),
    path("<int:pk>/progress/", deal.log_progress, name="log-progress"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/check/",
        deal.milestone_check,
        name="milestone-check",
    ),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/uncheck/",
        deal.milestone_uncheck,
        name="milestone-uncheck",
    ),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/evidence/",
        deal.evidence_file,
        name="evidence-file",
    ),
    path("<int:pk>/tasks/<int:task_pk>/done/", deal.task_done, name="task-done"),
    path("<int:pk>/won/", deal.won, name="won"),
    path("<int:pk>/close/", deal.close, name="close"),
    path("<int:pk>/reopen/", deal.reopen, name="reopen"),
    path("<int:pk>/probability/", deal.probability, name="probability"),
    path("<int:pk>/stage/", deal.change_stage, name="change-stage"),
    path("<int:pk>/reassign/", deal.reassign, name="reassign"),
    path("<int:pk>/gates/<str:kind>/request/", deal.gate_request, name="gate-request"),
    path("<int:pk>/decision-chain/", deal.decision_chain, name="decision-chain"),
    path(
        "<int:pk>/decision-chain/<int:contact_pk>/remove/",
        deal.decision_chain_remove,
        name="decision-chain-remove",
    ),
    path("<int:pk>/competitors/", deal.competitor_set, name="competitor-set"),
    path(
        "<int:pk>/competitors/<int:competitor_pk>/remove/",
        deal.competitor_remove,
        name="competitor-remove",
    ),
    path("gates/", deal.gates_pending, name="gates-pending"),
    path("gates/<int:gate_pk>/decide/", deal.gate_decide, name="gate-decide"),
    path("agenda/", deal.agenda, name="agenda"),
    path("activities/<int:activity_pk>/done/", deal.next_step_done, name="next-step-done"),
    path("from-wish-item/<int:item_pk>/", deal.from_wish_item, name="from-wish-item"),
]
