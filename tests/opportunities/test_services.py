"""The pipeline rules: stage moves, milestones, gates, won and lost, history, probability,
log progress, the decision chain and visibility."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import services as account_services
from opportunities import selectors, services
from opportunities.exceptions import OpportunityRuleError, StageMoveRefused
from opportunities.models import (
    Activity,
    DeliveryHandover,
    MilestoneCheck,
    MilestoneEvent,
    Opportunity,
    OpportunityChange,
    StageChange,
)
from salesops.exceptions import Conflict, PermissionRefused
from tests.factories import ContactFactory


def contract_file():
    return SimpleUploadedFile("contract.pdf", b"%PDF-1.4 signed", "application/pdf")


def check(deal, milestone, by, **evidence):
    evidence = evidence or {"note": "seen it"}
    return services.milestone_check(opportunity=deal, milestone=milestone, by=by, **evidence)


def test_a_new_deal_starts_in_the_first_stage_with_its_probability(org, make_deal, pipeline):
    deal = make_deal()
    assert (deal.stage, deal.customer_stage, deal.probability) == (
        pipeline.first,
        pipeline.first,
        10,
    )
    assert (deal.team, deal.currency) == (org.shanghai, "CNY")
    assert deal.stage_changes.get().kind == "created"


def test_advance_records_the_move_and_the_time_spent(org, make_deal, pipeline):
    deal = make_deal()
    Opportunity.objects.filter(pk=deal.pk).update(
        stage_entered_at=deal.stage_entered_at - datetime.timedelta(days=3, hours=12)
    )
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(
        opportunity=deal, to_stage="second", by=org.rep1, note="Budget meeting booked"
    )
    change = deal.stage_changes.first()
    assert (change.kind, change.from_stage, change.to_stage) == (
        "advance",
        pipeline.first,
        pipeline.second,
    )
    assert change.days_in_previous == Decimal("3.50")
    assert change.note == "Budget meeting booked"
    assert deal.version == 2


def test_probability_is_the_lower_of_sales_and_customer_stage(org, make_deal, pipeline):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    assert deal.probability == 10  # the customer is still in stage 1
    assert deal.is_over_reporting
    deal = services.opportunity_update(
        opportunity=deal, by=org.rep1, version=deal.version, customer_stage="second"
    )
    assert deal.probability == 40
    assert not deal.is_over_reporting
    recorded = deal.changes.filter(field="probability").first()
    assert (recorded.old_value, recorded.new_value) == ("10", "40")


def test_customer_two_stages_ahead_flags_a_late_entry(make_deal):
    deal = make_deal(customer_stage="third")
    assert deal.is_late_entry
    assert deal.probability == 10


def test_advance_refuses_missing_required_milestones_and_changes_nothing(org, make_deal, pipeline):
    deal = make_deal()
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    assert refused.value.reasons == ["Milestone not checked: Stage 1 – need"]
    deal.refresh_from_db()
    assert deal.stage == pipeline.first
    assert deal.stage_changes.count() == 1


def test_advance_refuses_skip_without_manager_override(org, make_deal, pipeline):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    check(deal, pipeline.budget, org.rep1, note="Budget approved by the CFO")
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)
    assert "Skipping stages needs a manager's override with a reason." in refused.value.reasons
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(
            opportunity=deal, to_stage="third", by=org.rep1, override_reason="Fast track"
        )
    assert (
        "Only a manager of the owner's team can override the stage order." in refused.value.reasons
    )


def test_manager_override_skips_but_milestones_of_skipped_stages_still_count(
    org, make_deal, pipeline
):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(
            opportunity=deal,
            to_stage="third",
            by=org.manager_shanghai,
            override_reason="Customer came to us with a tender",
        )
    assert refused.value.reasons == ["Milestone not checked: Stage 2 – budget"]
    check(deal, pipeline.budget, org.rep1, note="Budget in the tender")
    deal = services.opportunity_advance(
        opportunity=deal,
        to_stage="third",
        by=org.manager_shanghai,
        override_reason="Customer came to us with a tender",
    )
    change = deal.stage_changes.first()
    assert (change.kind, change.override_reason) == ("skip", "Customer came to us with a tender")


def test_moving_back_needs_an_override(org, make_deal, pipeline):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    with pytest.raises(StageMoveRefused):
        services.opportunity_advance(opportunity=deal, to_stage="first", by=org.rep1)
    deal = services.opportunity_advance(
        opportunity=deal, to_stage="first", by=org.manager_east, override_reason="Budget cut"
    )
    assert deal.stage == pipeline.first
    assert deal.stage_changes.first().kind == "back"


def test_big_deal_needs_an_approved_gate_with_its_facts_known(org, make_deal, pipeline):
    deal = make_deal(amount="2000000")
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    check(deal, pipeline.budget, org.rep1, note="Budget approved")
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)
    assert refused.value.reasons == [
        "Gate ATB · approve to bid must be approved before leaving Stage 2."
    ]
    with pytest.raises(OpportunityRuleError) as missing:
        services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)
    assert missing.value.reasons == ["Decision criteria"]

    deal = services.opportunity_update(
        opportunity=deal,
        by=org.rep1,
        version=deal.version,
        decision_criteria_known=True,
        decision_criteria_note="Price 40 %, fit 60 %",
    )
    gate = services.gate_request(opportunity=deal, kind="ATB", by=org.rep1, note="Ready")
    assert gate in selectors.pending_gates_for(org.manager_shanghai)
    assert gate not in selectors.pending_gates_for(org.manager_jiangsu)
    with pytest.raises(PermissionRefused):
        services.gate_decide(gate=gate, by=org.rep2, decision="approved")
    with pytest.raises(OpportunityRuleError):
        services.gate_decide(gate=gate, by=org.manager_shanghai, decision="rejected")
    services.gate_decide(
        gate=gate,
        by=org.manager_shanghai,
        decision="approved_with_conditions",
        conditions="Margin at least 25 %",
    )
    deal = services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)
    assert deal.stage == pipeline.third


def test_small_deals_skip_the_gate(org, make_deal, pipeline):
    deal = make_deal(amount="999999")
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    check(deal, pipeline.budget, org.rep1, note="Budget approved")
    deal = services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)
    assert deal.stage == pipeline.third
    with pytest.raises(OpportunityRuleError):
        services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)


def _to_third(org, make_deal, pipeline):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    check(deal, pipeline.budget, org.rep1, note="Budget approved")
    return services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)


def test_won_needs_the_signed_contract_and_opens_a_handover(org, make_deal, pipeline):
    deal = _to_third(org, make_deal, pipeline)
    with pytest.raises(StageMoveRefused) as refused:
        services.opportunity_advance(opportunity=deal, to_stage="signed", by=org.rep1)
    assert "A deal is won only with the signed contract checked as evidence." in (
        refused.value.reasons
    )
    with pytest.raises(OpportunityRuleError):  # the contract milestone wants a file
        check(deal, pipeline.contract, org.rep1, note="signed, trust me")
    check(deal, pipeline.contract, org.rep1, file=contract_file())
    deal = services.opportunity_advance(opportunity=deal, to_stage="signed", by=org.rep1)
    assert (deal.status, deal.probability, deal.forecast_category) == ("won", 100, "commit")
    assert deal.closed_on is not None
    assert DeliveryHandover.objects.filter(opportunity=deal).exists()
    deal.account.refresh_from_db()
    assert deal.account.status == "customer"  # a prospect with a won deal is a customer
    with pytest.raises(OpportunityRuleError):
        services.opportunity_advance(opportunity=deal, to_stage="third", by=org.manager_east)


def test_a_won_deal_raises_the_accounts_contribution(
    org, make_deal, pipeline, account, django_capture_on_commit_callbacks
):
    deal = _to_third(org, make_deal, pipeline)
    check(deal, pipeline.contract, org.rep1, file=contract_file())
    with django_capture_on_commit_callbacks(execute=True):
        services.opportunity_advance(opportunity=deal, to_stage="signed", by=org.rep1)
    account.refresh_from_db()
    contribution = account.tier_explanation[0]
    assert contribution["criterion"] == "contribution"
    assert Decimal(contribution["score"]) == Decimal("10.00")  # 500,000 of 5,000,000


def test_lost_needs_a_reason_and_keeps_the_stage_it_died_in(org, make_deal, pipeline):
    deal = make_deal()
    with pytest.raises(OpportunityRuleError):
        services.opportunity_close(opportunity=deal, by=org.rep1, status="lost")
    deal = services.opportunity_close(
        opportunity=deal, by=org.rep1, status="lost", reason="price", note="20 % cheaper"
    )
    assert (deal.status, deal.lost_at_stage, deal.probability) == ("lost", pipeline.first, 0)
    assert deal.stage_changes.first().kind == "lost"
    with pytest.raises(PermissionRefused):
        services.opportunity_reopen(opportunity=deal, by=org.rep1, reason="They came back")
    deal = services.opportunity_reopen(
        opportunity=deal, by=org.manager_shanghai, reason="They came back"
    )
    assert (deal.status, deal.probability) == ("open", 10)


def test_a_stale_edit_is_refused_with_a_conflict(org, make_deal):
    deal = make_deal()
    services.opportunity_update(opportunity=deal, by=org.rep1, version=1, amount=Decimal(600000))
    with pytest.raises(Conflict):
        services.opportunity_update(
            opportunity=deal, by=org.manager_shanghai, version=1, name="Renamed"
        )
    with pytest.raises(Conflict):
        services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1, version=1)


def test_amount_and_close_date_changes_are_kept(org, make_deal):
    deal = make_deal()
    first_date = deal.expected_close_date
    for weeks in (2, 4):
        deal = services.opportunity_update(
            opportunity=deal,
            by=org.rep1,
            version=deal.version,
            expected_close_date=first_date + datetime.timedelta(weeks=weeks),
            reason="Customer board meets later",
        )
    deal = services.opportunity_update(
        opportunity=deal, by=org.rep1, version=deal.version, amount=Decimal("300000")
    )
    pushes = OpportunityChange.objects.filter(opportunity=deal, field="expected_close_date")
    assert pushes.count() == 2
    assert pushes.last().old_value == str(first_date)
    amount = OpportunityChange.objects.get(opportunity=deal, field="amount")
    assert (amount.old_value, amount.new_value) == ("500000.00", "300000")


def test_stage_and_status_cannot_be_edited_directly(org, make_deal, pipeline):
    deal = make_deal()
    for field, value in [("stage", pipeline.third), ("status", "won"), ("probability", 90)]:
        with pytest.raises(OpportunityRuleError):
            services.opportunity_update(
                opportunity=deal, by=org.rep1, version=deal.version, **{field: value}
            )


def test_manager_overrides_the_probability_with_a_reason(org, make_deal):
    deal = make_deal()
    with pytest.raises(PermissionRefused):
        services.opportunity_set_probability(
            opportunity=deal, by=org.rep1, probability=60, reason="Sure thing"
        )
    with pytest.raises(OpportunityRuleError):
        services.opportunity_set_probability(
            opportunity=deal, by=org.manager_shanghai, probability=60
        )
    deal = services.opportunity_set_probability(
        opportunity=deal, by=org.manager_shanghai, probability=60, reason="Sole bidder"
    )
    assert deal.probability == 60
    deal = services.opportunity_set_probability(
        opportunity=deal, by=org.manager_shanghai, probability=None
    )
    assert deal.probability == 10


def test_milestone_uncheck_is_recorded(org, make_deal, pipeline):
    deal = make_deal()
    check(deal, pipeline.need, org.rep1)
    services.milestone_uncheck(
        opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Wrong deal"
    )
    assert not MilestoneCheck.objects.get(opportunity=deal, milestone=pipeline.need).is_checked
    assert list(
        MilestoneEvent.objects.filter(opportunity=deal)
        .order_by("pk")
        .values_list("checked", flat=True)
    ) == [True, False]
    with pytest.raises(StageMoveRefused):
        services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)


def test_log_progress_is_all_or_nothing(org, make_deal, pipeline):
    deal = make_deal()
    today = timezone.localdate()
    with pytest.raises(StageMoveRefused):
        services.log_progress(
            opportunity=deal,
            by=org.rep1,
            version=deal.version,
            activity={"kind": "visit", "occurred_on": today, "subject": "Plant tour"},
            milestones=[pipeline.nice],
            to_stage="second",
        )
    assert not Activity.objects.filter(opportunity=deal).exists()
    assert not MilestoneCheck.objects.filter(opportunity=deal).exists()

    deal = services.log_progress(
        opportunity=deal,
        by=org.rep1,
        version=deal.version,
        activity={
            "kind": "visit",
            "occurred_on": today,
            "subject": "Plant tour",
            "next_step": "Send the budget template",
            "next_step_due": today + datetime.timedelta(days=3),
        },
        milestones=[pipeline.need],
        to_stage="second",
    )
    assert deal.stage == pipeline.second
    assert deal.last_activity_on == today
    proof = MilestoneCheck.objects.get(opportunity=deal, milestone=pipeline.need)
    assert proof.activity.subject == "Plant tour"
    assert [a.next_step for a in selectors.agenda_for(org.rep1)] == ["Send the budget template"]


def test_activity_cannot_be_in_the_future(org, make_deal):
    deal = make_deal()
    with pytest.raises(Exception) as error:
        services.activity_log(
            opportunity=deal,
            by=org.rep1,
            kind="call",
            occurred_on=timezone.localdate() + datetime.timedelta(days=1),
            subject="Call",
        )
    assert "future" in str(error.value)


def test_decision_chain_takes_contacts_of_the_same_account(org, make_deal, account):
    deal = make_deal()
    cio = ContactFactory(account=account, name="CIO Li")
    link = services.decision_chain_set(
        opportunity=deal,
        contact=cio,
        by=org.rep1,
        role="economic_buyer",
        influence="high",
        attitude="supporter",
        relationship=3,
    )
    assert deal.decision_chain.get() == link
    stranger = ContactFactory()
    with pytest.raises(Exception) as error:
        services.decision_chain_set(
            opportunity=deal,
            contact=stranger,
            by=org.rep1,
            role="user",
            influence="low",
            attitude="neutral",
        )
    assert "Choose a contact of the opportunity's account." in str(error.value)


def test_visibility_own_account_team_and_manager_subtree(org, make_deal, account):
    deal = make_deal()
    visible = selectors.opportunity_list_visible_to
    assert deal in visible(org.rep1)
    assert deal not in visible(org.rep2)  # same team, not theirs
    assert deal in visible(org.manager_shanghai)
    assert deal in visible(org.manager_east)
    assert deal not in visible(org.manager_jiangsu)
    assert deal not in visible(org.rep4)
    assert deal in visible(org.admin)
    account = account_services.account_override_tier(
        account=account, by=org.manager_shanghai, tier="A", reason="Group HQ"
    )
    account_services.account_team_set(
        account=account, by=org.manager_shanghai, role="solution_owner", user=org.rep2
    )
    assert deal in visible(org.rep2)


def test_other_reps_cannot_work_on_a_deal(org, make_deal, pipeline):
    deal = make_deal()
    with pytest.raises(PermissionRefused):
        services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep3, note="x")
    with pytest.raises(PermissionRefused):
        services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep2)


def test_wish_list_item_becomes_an_opportunity_once(org, account, pipeline, monkeypatch):
    from accounts.models import AccountPlan, WishListItem

    monkeypatch.setattr(selectors, "default_process", lambda: pipeline.process)
    account_services.account_override_tier(
        account=account, by=org.manager_shanghai, tier="A", reason="Group HQ"
    )
    plan = AccountPlan.objects.create(
        account=account,
        year=timezone.localdate().year,
        revenue_objective=Decimal("5000000"),
        gross_margin_objective_pct=Decimal("30"),
    )
    now = datetime.datetime.now(datetime.UTC)
    item = WishListItem.objects.create(
        plan=plan,
        title="Second plant MES",
        estimated_amount=Decimal("1200000"),
        expected_quarter=4,
        region_position="bid",
        region_at=now,
        account_team_position="bid",
        account_team_at=now,
        decision="bid",
    )
    deal = services.opportunity_from_wish_item(item=item, by=org.rep1)
    assert (deal.name, deal.amount, deal.source, deal.owner) == (
        "Second plant MES",
        Decimal("1200000"),
        "account_plan",
        org.rep1,
    )
    assert deal.expected_close_date.month == 12
    item.refresh_from_db()
    assert item.converted_at is not None
    with pytest.raises(Conflict):
        services.opportunity_from_wish_item(item=item, by=org.rep1)


def test_stage_changes_are_kept_for_each_move(org, make_deal, pipeline):
    deal = _to_third(org, make_deal, pipeline)
    assert list(
        StageChange.objects.filter(opportunity=deal)
        .order_by("pk")
        .values_list("to_stage__code", flat=True)
    ) == ["first", "second", "third"]


def test_tasks_are_ticked_only_on_open_deals_of_their_process(org, make_deal, pipeline):
    from opportunities.models import StageTask, TaskDone
    from tests.factories import StageFactory

    task = StageTask.objects.create(stage=pipeline.first, name_en="Send the capability deck")
    deal = make_deal()
    services.task_set_done(opportunity=deal, task=task, by=org.rep1, done=True)
    services.task_set_done(opportunity=deal, task=task, by=org.rep1, done=True)  # idempotent
    assert TaskDone.objects.filter(opportunity=deal).count() == 1
    foreign = StageTask.objects.create(stage=StageFactory(), name_en="Another process's task")
    with pytest.raises(OpportunityRuleError):
        services.task_set_done(opportunity=deal, task=foreign, by=org.rep1, done=True)
    deal = services.opportunity_close(opportunity=deal, by=org.rep1, status="abandoned")
    with pytest.raises(OpportunityRuleError):
        services.task_set_done(opportunity=deal, task=task, by=org.rep1, done=False)
