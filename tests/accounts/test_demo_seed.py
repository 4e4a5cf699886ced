"""The demo customers of `seed_demo`: spread over the sales teams, all three tiers, decision
chains with reporting lines, group subsidiaries, plans for the strategic accounts with the wish
list in each decision state, and nothing new on a second run."""

import datetime
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.choices import (
    AccountTeamRole,
    BidDecision,
    BidPosition,
    Industry,
    PlanGoalKind,
    Tier,
    WishSide,
)
from accounts.demo import (
    DEFAULT_ACCOUNT_COUNT,
    OVERRIDES,
    _organisation,
    plan_accounts,
    seed_account_plans,
    seed_accounts,
)
from accounts.models import (
    PHONE,
    Account,
    AccountAssessment,
    AccountPlan,
    AccountTeamMember,
    Contact,
    PlanGoal,
    RoadmapItem,
    TierChange,
    WishListItem,
)
from accounts.selectors import wish_items_awaiting
from salesops.choices import Role
from salesops.demo import seed_organisation
from salesops.models import Team

TODAY = datetime.date(2026, 5, 12)
SMALL_COUNT = 40


@pytest.fixture
def organisation(db):
    seed_organisation(today=TODAY, rng=random.Random(2026))


@pytest.fixture
def seeded(organisation):
    return seed_accounts(rng=random.Random("demo"), today=TODAY, count=SMALL_COUNT)


def _snapshot() -> dict:
    return {
        "accounts": list(
            Account.objects.order_by("pk").values_list("pk", "name", "tier", "score", "updated_at")
        ),
        "contacts": list(Contact.objects.order_by("pk").values_list("pk", "updated_at")),
        "assessments": AccountAssessment.objects.count(),
        "tier_changes": TierChange.objects.count(),
        "team_members": AccountTeamMember.objects.count(),
    }


def test_the_demo_has_at_least_300_accounts_by_default():
    assert DEFAULT_ACCOUNT_COUNT >= 300


def test_seeding_creates_the_accounts_with_all_three_tiers(seeded):
    assert seeded["accounts"] == Account.objects.count() == SMALL_COUNT
    tiers = Counter(Account.objects.values_list("tier", flat=True))
    assert set(tiers) == {Tier.A, Tier.B, Tier.C}
    assert seeded["tiers"] == {tier: tiers[tier] for tier in Tier.values}


def test_each_account_is_owned_by_a_rep_of_its_team_in_the_team_region(seeded):
    accounts = Account.objects.select_related("owner", "owner_team", "region")
    for account in accounts:
        assert account.owner.role == Role.REP
        assert account.owner.team_id == account.owner_team_id
        assert account.region == Team.objects.get_parent(account.owner_team)
    assert len({account.owner_team_id for account in accounts}) == 7


def test_group_subsidiaries_point_at_headquarters_without_cycles(seeded):
    subsidiaries = Account.objects.filter(parent__isnull=False).select_related("parent")
    assert subsidiaries.count() == round(SMALL_COUNT * 0.10)
    for account in subsidiaries:
        assert account.parent.parent_id is None
        assert account.parent.pk != account.pk


def test_contacts_form_one_reporting_tree_per_account(seeded):
    for account in Account.objects.prefetch_related("contacts"):
        contacts = {contact.pk: contact for contact in account.contacts.all()}
        assert 3 <= len(contacts) <= 8, account
        roots = [contact for contact in contacts.values() if contact.reports_to_id is None]
        assert len(roots) == 1, account
        for contact in contacts.values():
            assert PHONE.regex.match(contact.phone), contact.phone
            assert contact.email.endswith(".example.com")
            seen, boss_id = {contact.pk}, contact.reports_to_id
            while boss_id is not None:
                assert boss_id in contacts  # the same account
                assert boss_id not in seen  # no loop
                seen.add(boss_id)
                boss_id = contacts[boss_id].reports_to_id
    assert Contact.objects.filter(reports_to__reports_to__reports_to__isnull=False).exists()


def test_overrides_carry_a_reason_and_tier_a_has_its_account_team(seeded):
    overridden = Account.objects.exclude(tier_override="")
    assert 3 <= overridden.count() <= len(OVERRIDES)
    assert all(account.tier_override_reason for account in overridden)
    for account in Account.objects.filter(tier=Tier.A):
        team = {member.role: member.user for member in account.team_members.all()}
        assert set(team) == set(AccountTeamRole.values)
        assert team[AccountTeamRole.ACCOUNT_OWNER] == account.owner
        assert team[AccountTeamRole.SOLUTION_OWNER].role == Role.PRESALES_ENGINEER
        assert team[AccountTeamRole.DELIVERY_OWNER] not in (
            account.owner,
            team[AccountTeamRole.SOLUTION_OWNER],
        )


def test_seeding_again_creates_and_changes_nothing(seeded):
    before = _snapshot()
    again = seed_accounts(rng=random.Random("demo"), today=TODAY, count=SMALL_COUNT)
    assert again["accounts"] == 0
    assert _snapshot() == before


@pytest.fixture
def planned(seeded):
    return seed_account_plans(today=TODAY)


def _plans_snapshot() -> dict:
    return {
        "plans": list(AccountPlan.objects.order_by("pk").values_list("pk", "updated_at")),
        "goals": list(PlanGoal.objects.order_by("pk").values_list("pk", "updated_at")),
        "wish_items": list(WishListItem.objects.order_by("pk").values_list("pk", "updated_at")),
        "roadmap": list(RoadmapItem.objects.order_by("pk").values_list("pk", "updated_at")),
    }


def test_each_strategic_account_gets_a_plan_for_the_year(planned):
    strategic = Account.objects.filter(tier=Tier.A)
    assert planned["plans"] == strategic.count() >= 3
    assert planned["wish_items"] == WishListItem.objects.count()
    assert planned["roadmap_items"] == RoadmapItem.objects.count()
    for account in strategic:
        plan = account.plans.get(year=TODAY.year)
        assert plan.revenue_objective > 0
        assert 0 < plan.gross_margin_objective_pct < 100
        assert plan.notes
        assert sorted(plan.goals.values_list("kind", flat=True)) == sorted(
            [PlanGoalKind.NEW_BUSINESS_LINE, PlanGoalKind.REFERENCE_SITE]
        )
        roadmap = list(plan.roadmap_items.all())
        assert 3 <= len(roadmap) <= 4
        assert any(item.wish_item_id for item in roadmap)
        assert any(item.wish_item_id is None for item in roadmap)
        assert all(item.months_in_year(TODAY.year) for item in roadmap)


def test_demo_wish_lists_show_every_decision_state(planned):
    for plan in AccountPlan.objects.select_related("account"):
        items = list(plan.wish_items.select_related("escalated_to"))
        assert 3 <= len(items) <= 4, plan
        agreed = [item for item in items if item.is_decided and not item.was_escalated]
        escalated = [item for item in items if item.decision == BidDecision.ESCALATED]
        decided_above = [item for item in items if item.is_decided and item.was_escalated]
        waiting = [
            item
            for item in items
            if item.decision == BidDecision.PENDING
            and item.region_position == BidPosition.UNDECIDED
            and item.account_team_position != BidPosition.UNDECIDED
        ]
        assert [item.decision for item in agreed] == [BidDecision.BID], plan
        assert len(escalated) == len(waiting) == 1, plan
        assert len(decided_above) == len(items) - 3, plan  # where somebody decides escalations
        for item in escalated + decided_above:
            assert item.region_position != item.account_team_position
            assert item.region_note and item.account_team_note
            assert item.escalated_to is not None
        for item in decided_above:
            assert item.escalation_by == item.escalated_to
            assert item.decision == item.escalation_decision
            assert item.escalation_note
    assert WishListItem.objects.filter(escalation_by__isnull=False).exists()
    # Each item waits for somebody's home page: the region's manager, the escalation manager.
    for item in WishListItem.objects.filter(decision=BidDecision.PENDING).select_related(
        "plan__account__region__manager"
    ):
        region_manager = item.plan.account.region.manager
        awaiting = {row.pk: row.awaiting for row in wish_items_awaiting(region_manager)}
        assert awaiting[item.pk] == WishSide.REGION
    for item in WishListItem.objects.filter(decision=BidDecision.ESCALATED):
        assert item in wish_items_awaiting(item.escalated_to)


def test_planning_again_creates_and_changes_nothing(planned):
    before = _plans_snapshot()
    again = seed_account_plans(today=TODAY)
    assert again == {"plans": 0, "wish_items": 0, "roadmap_items": 0}
    assert _plans_snapshot() == before


def test_the_default_plan_is_deterministic_with_unique_names_and_tier_shares(organisation):
    teams, reps, _engineers = _organisation()

    def plan():
        return plan_accounts(
            rng=random.Random("2026:accounts"),
            today=TODAY,
            count=DEFAULT_ACCOUNT_COUNT,
            teams=teams,
            reps=reps,
        )

    plans = plan()
    names = [account.name for account in plans]
    assert names == [account.name for account in plan()]
    assert len({name.lower() for name in names}) == len(names) == DEFAULT_ACCOUNT_COUNT
    # Scores under the default policy: 50–60 is tier A as soon as some won revenue exists.
    scores = [account.score for account in plans]
    ready_for_a = sum(score >= 50 for score in scores) / len(scores)
    tier_b = sum(40 <= score < 50 for score in scores) / len(scores)
    assert 0.10 <= ready_for_a <= 0.15
    assert 0.25 <= tier_b <= 0.35
    industries = Counter(account.industry for account in plans).most_common(2)
    assert {industry for industry, _count in industries} == {
        Industry.MANUFACTURING,
        Industry.BANKING,
    }


def test_seed_demo_command_seeds_the_customers_once(organisation):
    call_command("seed_demo", "--accounts", "12", stdout=StringIO())
    assert Account.objects.count() == 12
    output = StringIO()
    plans = AccountPlan.objects.count()
    assert plans == Account.objects.filter(tier=Tier.A).count() > 0
    call_command("seed_demo", "--accounts", "12", stdout=output)
    assert Account.objects.count() == 12
    assert AccountPlan.objects.count() == plans
    assert "already there" in output.getvalue()
    assert "account plans" not in output.getvalue()
