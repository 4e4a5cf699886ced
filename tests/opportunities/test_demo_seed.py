"""The demo deals of `seed_demo`: histories that follow the pipeline rules (stage chains,
milestones before every move, gates, won and lost), spread over the stages, deterministic, and
nothing new on a second run.

The company is seeded once for the module (organisation, 30 accounts, 60 deals) inside a
transaction that is rolled back at the end; each test runs in a savepoint of its own."""

import datetime
import itertools
import random
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from opportunities.choices import (
    GATE_PASSED,
    ForecastCategory,
    OpportunityStatus,
    StageChangeKind,
)
from opportunities.demo import (
    DEFAULT_OPPORTUNITY_COUNT,
    Simulation,
    _context,
    demo_accounts,
    plan_deals,
)
from opportunities.models import (
    Activity,
    DeliveryHandover,
    Gate,
    GateRule,
    Milestone,
    MilestoneCheck,
    MilestoneEvent,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    StageChange,
)

DEALS = 60
CLOSED = (OpportunityStatus.LOST, OpportunityStatus.ABANDONED)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        output = StringIO()
        call_command("seed_demo", "--accounts", "30", "--opportunities", str(DEALS), stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def deals(seeded, db):
    return list(
        Opportunity.objects.select_related("stage", "customer_stage", "process", "team")
        .prefetch_related("stage_changes")
        .order_by("pk")
    )


def history(deal) -> list[StageChange]:
    return sorted(deal.stage_changes.all(), key=lambda change: (change.changed_at, change.pk))


def test_the_demo_has_at_least_3000_deals_by_default():
    assert DEFAULT_OPPORTUNITY_COUNT >= 3000


def test_seeding_creates_the_planned_deals_with_won_lost_and_open_ones(seeded, deals):
    assert len(deals) == DEALS
    assert f"Demo opportunities: {DEALS} deals" in seeded
    statuses = Counter(deal.status for deal in deals)
    assert statuses[OpportunityStatus.WON] and statuses[OpportunityStatus.OPEN]
    assert statuses[OpportunityStatus.LOST] + statuses[OpportunityStatus.ABANDONED]
    assert {deal.process.code for deal in deals} == {"solution", "standard"}
    assert all(deal.team_id == deal.owner.team_id for deal in deals)


def test_every_closed_deal_has_a_reason_or_a_handover(deals):
    for deal in deals:
        if deal.status == OpportunityStatus.WON:
            assert deal.stage.is_won
            assert DeliveryHandover.objects.filter(opportunity=deal).exists()
            assert (deal.probability, deal.forecast_category) == (100, ForecastCategory.COMMIT)
            assert deal.closed_on is not None
        elif deal.status in CLOSED:
            assert deal.lost_reason, deal
            assert deal.lost_at_stage_id == deal.stage_id
            assert (deal.probability, deal.forecast_category) == (0, ForecastCategory.OMITTED)
            assert deal.closed_on is not None
        else:
            assert deal.closed_on is None and not deal.lost_reason


def test_stage_histories_are_unbroken_chains_ending_in_the_deals_state(deals):
    for deal in deals:
        changes = history(deal)
        created = changes[0]
        assert created.kind == StageChangeKind.CREATED and created.from_stage_id is None
        assert created.changed_at == deal.created_at
        for previous, change in itertools.pairwise(changes):
            assert change.from_stage_id == previous.to_stage_id, deal
            assert change.changed_at > previous.changed_at
            assert change.days_in_previous >= 0
            elapsed = (change.changed_at - previous.changed_at).total_seconds() / 86400
            assert abs(float(change.days_in_previous) - elapsed) < 0.01
        last = changes[-1]
        assert (last.to_stage_id, last.status) == (deal.stage_id, deal.status)
        moves = [change for change in changes if change.kind not in CLOSED]
        assert deal.stage_entered_at == moves[-1].changed_at
        if deal.status != OpportunityStatus.OPEN:
            assert deal.closed_on == timezone.localdate(last.changed_at)
        assert last.changed_at < timezone.now()


def test_overrides_are_the_managers_except_a_few_unauthorised_skips(deals):
    for deal in deals:
        for change in history(deal):
            if change.override_reason:
                assert change.kind in (StageChangeKind.SKIP, StageChangeKind.BACK)
                assert change.changed_by_id == deal.team.manager_id
            elif change.kind == StageChangeKind.BACK:
                pytest.fail(f"{deal}: moved back without an override")


def test_deals_die_in_several_stages_and_stay_open_in_several(deals):
    lost_in = {deal.stage.code for deal in deals if deal.status in CLOSED}
    open_in = {deal.stage.code for deal in deals if deal.status == OpportunityStatus.OPEN}
    assert len(lost_in) >= 3
    assert len(open_in) >= 3


def test_every_stage_left_forward_has_its_required_milestones_checked_before(deals):
    required = defaultdict(list)
    for milestone in Milestone.objects.filter(is_required=True).select_related("stage"):
        required[milestone.stage.process_id].append(milestone)
    for deal in deals:
        checks = {
            check.milestone_id: check.checked_at
            for check in MilestoneCheck.objects.filter(opportunity=deal, is_checked=True)
        }
        for change in history(deal):
            if change.kind not in (StageChangeKind.ADVANCE, StageChangeKind.SKIP, "won"):
                continue
            left = [
                milestone
                for milestone in required[deal.process_id]
                if change.from_stage.order <= milestone.stage.order < change.to_stage.order
            ]
            for milestone in left:
                assert milestone.pk in checks, f"{deal}: {milestone.code}"
                assert checks[milestone.pk] < change.changed_at


def test_won_deals_have_the_signed_contract_checked_with_evidence(deals):
    won = [deal for deal in deals if deal.status == OpportunityStatus.WON]
    assert won
    for deal in won:
        contract = MilestoneCheck.objects.get(opportunity=deal, milestone__proves_contract=True)
        assert contract.is_checked and contract.has_evidence
        assert MilestoneEvent.objects.filter(
            opportunity=deal, milestone=contract.milestone, checked=True
        ).exists()


def test_activity_milestones_link_an_activity_of_the_deal(seeded, db):
    checks = MilestoneCheck.objects.filter(milestone__evidence_type="activity")
    assert checks.exists()
    for check in checks.select_related("activity"):
        assert check.activity is not None and check.activity.opportunity_id == check.opportunity_id


def test_gates_are_approved_by_the_teams_manager_where_the_deal_passed_them(deals):
    rules = list(GateRule.objects.select_related("leaving_stage"))
    assert rules
    for deal in deals:
        for rule in rules:
            if rule.process_id != deal.process_id or not rule.applies_to(deal):
                continue
            passed = [
                change
                for change in history(deal)
                if change.kind in (StageChangeKind.ADVANCE, StageChangeKind.SKIP, "won")
                and change.from_stage.order <= rule.leaving_stage.order < change.to_stage.order
            ]
            if not passed:
                continue
            gate = Gate.objects.get(opportunity=deal, kind=rule.kind, status__in=GATE_PASSED)
            assert gate.decided_by_id == deal.team.manager_id != gate.requested_by_id
            assert gate.requested_at < gate.decided_at < passed[0].changed_at
            for fact in rule.required_facts:
                assert deal.is_fact_known(fact), f"{deal}: {fact}"


def test_open_deals_carry_the_effective_probability(deals):
    for deal in deals:
        if deal.status != OpportunityStatus.OPEN:
            continue
        expected = deal.probability_override
        if expected is None:
            expected = min(deal.stage.probability, deal.customer_stage.customer_probability)
        assert deal.probability == expected
        assert deal.forecast_category != ForecastCategory.OMITTED


def test_activities_are_in_the_past_and_each_open_deal_keeps_one_next_step(deals):
    today = timezone.localdate()
    assert not Activity.objects.filter(occurred_on__gt=today).exists()
    for deal in deals:
        activities = list(Activity.objects.filter(opportunity=deal))
        if activities:
            assert deal.last_activity_on == max(activity.occurred_on for activity in activities)
            assert min(activity.occurred_on for activity in activities) >= deal.created_at.date()
        open_steps = [activity for activity in activities if not activity.next_step_done]
        assert len(open_steps) <= (1 if deal.status == OpportunityStatus.OPEN else 0)


def test_the_decision_chain_uses_contacts_of_the_deals_account(seeded, db):
    links = OpportunityContact.objects.select_related("contact", "opportunity")
    assert links.exists()
    assert all(link.contact.account_id == link.opportunity.account_id for link in links)
    assert 1 <= max(Counter(link.opportunity_id for link in links).values()) <= 5


def test_tracked_changes_keep_the_history_the_alerts_read(seeded, db):
    fields = set(OpportunityChange.objects.values_list("field", flat=True))
    assert {"amount", "expected_close_date", "probability", "customer_stage"} <= fields
    for change in OpportunityChange.objects.filter(field="expected_close_date"):
        assert datetime.date.fromisoformat(change.new_value) > datetime.date.fromisoformat(
            change.old_value
        )


def test_won_revenue_is_in_the_account_tiers(seeded, db):
    won = Opportunity.objects.filter(status=OpportunityStatus.WON).values_list(
        "account_id", flat=True
    )
    for account in Account.objects.filter(pk__in=won):
        contribution = next(
            item for item in account.tier_explanation if item["criterion"] == "contribution"
        )
        assert Decimal(contribution["score"]) > 0


def test_planning_and_simulation_are_deterministic(seeded, db):
    accounts = demo_accounts()
    first = plan_deals(rng=random.Random("same"), count=20, accounts=accounts)
    second = plan_deals(rng=random.Random("same"), count=20, accounts=accounts)
    assert [(plan.account.pk, plan.name, plan.days_ago) for plan in first] == [
        (plan.account.pk, plan.name, plan.days_ago) for plan in second
    ]
    context = _context(timezone.localdate())

    def outcome(plan):
        deal = Simulation(plan, context).run()
        return (
            deal.opportunity.status,
            deal.opportunity.stage_id,
            deal.opportunity.amount,
            [(change.kind, change.changed_at) for change in deal.stage_changes],
        )

    assert [outcome(plan) for plan in first[:5]] == [outcome(plan) for plan in second[:5]]


def test_running_the_seed_again_creates_nothing(seeded, db):
    counts = {
        model.__name__: model.objects.count()
        for model in (Opportunity, StageChange, OpportunityChange, Activity, MilestoneCheck, Gate)
    }
    output = StringIO()
    call_command("seed_demo", "--accounts", "30", "--opportunities", str(DEALS), stdout=output)
    assert "Demo opportunities: already there." in output.getvalue()
    assert counts == {
        model.__name__: model.objects.count()
        for model in (Opportunity, StageChange, OpportunityChange, Activity, MilestoneCheck, Gate)
    }
