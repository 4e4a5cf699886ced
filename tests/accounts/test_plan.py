"""Account plans of strategic accounts: tier-A only, who edits, optimistic versions, the wish
list decided jointly by the region and the account team (agreement decides, disagreement is
escalated to the manager above both sides), the roadmap, visibility and the plan page."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.choices import AccountTeamRole, BidDecision, BidPosition, Tier, WishSide
from accounts.exceptions import AccountRuleError
from accounts.models import AccountPlan, WishListItem
from accounts.selectors import (
    HOME_WISH_ITEMS,
    account_list_visible_to,
    plan_accounts_visible_to,
    wish_item_sides_for,
    wish_items_awaiting,
)
from salesops.choices import Role, TeamKind
from salesops.exceptions import Conflict, PermissionRefused
from tests.factories import TeamFactory, UserFactory

YEAR = 2026


def _strategic_account(*, name, owner_team, owner, solution_owner=None, **fields):
    """A customer made tier A the way a company does it: created, overridden to A by the owner
    team's manager with a reason, and given its account team."""
    account = services.account_create(
        by=owner, owner_team=owner_team, name=name, owner=owner, **fields
    )
    manager = owner_team.manager
    account = services.account_override_tier(
        account=account, by=manager, tier=Tier.A, reason="Group-wide framework agreement"
    )
    services.account_team_set(
        account=account, by=manager, role=AccountTeamRole.ACCOUNT_OWNER, user=owner
    )
    if solution_owner is not None:
        services.account_team_set(
            account=account, by=manager, role=AccountTeamRole.SOLUTION_OWNER, user=solution_owner
        )
    account.refresh_from_db()
    return account


def _plan(account, by, year=YEAR):
    return services.account_plan_create(
        account=account,
        by=by,
        year=year,
        revenue_objective=Decimal("12000000"),
        gross_margin_objective_pct=Decimal("32.5"),
    )


def _wish(plan, by, title="MES rollout, plant 2", amount="3000000"):
    return services.wish_item_create(
        plan=plan,
        by=by,
        title=title,
        offering="Manufacturing execution",
        estimated_amount=Decimal(amount),
        expected_quarter=2,
    )


@pytest.fixture
def account(org):
    """Owned by Shanghai (East China); the customer sits in East China as well."""
    return _strategic_account(
        name="Shanghai Auto Parts",
        owner_team=org.shanghai,
        owner=org.rep1,
        solution_owner=org.engineer,
        region=org.east,
    )


@pytest.fixture
def plan(org, account):
    return _plan(account, org.rep1)


@pytest.fixture
def national(db):
    """A company with a level above the regions:
    China HQ (m.china) ── South China region (m.south) ── Guangzhou (m.guangzhou: rep5)."""
    hq = TeamFactory(name="China HQ")
    south = TeamFactory.region(name="South China", parent=hq)
    guangzhou = TeamFactory(name="Guangzhou", parent=south)
    people = {
        "hq": hq,
        "south": south,
        "guangzhou": guangzhou,
        "china": UserFactory(username="m.china", role=Role.MANAGER, team=hq),
        "m_south": UserFactory(username="m.south", role=Role.MANAGER, team=south),
        "m_guangzhou": UserFactory(username="m.guangzhou", role=Role.MANAGER, team=guangzhou),
        "rep5": UserFactory(username="rep5", team=guangzhou),
    }
    for team, manager in [
        (hq, people["china"]),
        (south, people["m_south"]),
        (guangzhou, people["m_guangzhou"]),
    ]:
        team.manager = manager
        team.save(update_fields=["manager"])
    return people


# Plans and objectives ---------------------------------------------------------------------


def test_plan_is_refused_for_an_account_that_is_not_tier_a(org):
    account = services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Small Workshop", owner=org.rep1
    )
    assert account.tier == Tier.C
    with pytest.raises(AccountRuleError, match="strategic"):
        _plan(account, org.manager_shanghai)
    assert not AccountPlan.objects.exists()

    services.account_override_tier(
        account=account, by=org.manager_shanghai, tier=Tier.A, reason="Flagship reference"
    )
    account.refresh_from_db()
    plan = _plan(account, org.manager_shanghai)
    assert (plan.year, plan.revenue_objective, plan.version) == (YEAR, Decimal("12000000"), 1)
    assert plan.created_by == org.manager_shanghai


@pytest.mark.parametrize("who", ["rep1", "engineer", "manager_shanghai", "manager_east", "admin"])
def test_account_team_and_owner_team_managers_start_the_plan(org, account, who):
    plan = _plan(account, getattr(org, who))
    assert plan.account == account


@pytest.mark.parametrize("who", ["rep2", "manager_jiangsu", "manager_north", "rep4"])
def test_others_cannot_start_the_plan(org, account, who):
    with pytest.raises(PermissionRefused):
        _plan(account, getattr(org, who))
    assert not AccountPlan.objects.exists()


def test_one_plan_per_account_and_year(org, account, plan):
    with pytest.raises(Conflict):
        _plan(account, org.manager_shanghai)
    assert _plan(account, org.manager_shanghai, year=YEAR + 1).year == YEAR + 1


def test_stale_plan_edit_is_refused(org, plan):
    services.account_plan_update(
        plan=plan, by=org.rep1, version=1, revenue_objective=Decimal("15000000")
    )
    with pytest.raises(Conflict):
        services.account_plan_update(
            plan=plan, by=org.manager_shanghai, version=1, gross_margin_objective_pct=Decimal(10)
        )
    plan.refresh_from_db()
    assert plan.revenue_objective == Decimal("15000000")
    assert plan.gross_margin_objective_pct == Decimal("32.50")
    assert (plan.version, plan.updated_by) == (2, org.rep1)


def test_margin_objective_is_a_percentage(org, plan):
    with pytest.raises(ValidationError):
        services.account_plan_update(
            plan=plan, by=org.rep1, version=1, gross_margin_objective_pct=Decimal(120)
        )


def test_goals_record_their_outcome_with_a_version_check(org, plan):
    goal = services.plan_goal_create(
        plan=plan,
        by=org.rep1,
        kind="reference_site",
        description="Plant 1 becomes a visitable reference",
        due_date=datetime.date(YEAR, 9, 30),
    )
    assert goal.status == "open"
    goal = services.plan_goal_update(goal=goal, by=org.rep1, version=1, status="achieved")
    assert (goal.status, goal.version) == ("achieved", 2)
    with pytest.raises(Conflict):
        services.plan_goal_update(goal=goal, by=org.rep1, version=1, status="dropped")
    with pytest.raises(PermissionRefused):
        services.plan_goal_create(
            plan=plan, by=org.rep2, kind="other", description="Not my account"
        )


# The wish list: joint bid / no-bid decisions --------------------------------------------


def test_sides_are_the_region_managers_and_the_account_team(org, account):
    assert wish_item_sides_for(org.manager_east, account) == {WishSide.REGION}
    for member in (org.rep1, org.engineer, org.manager_shanghai):
        assert wish_item_sides_for(member, account) == {WishSide.ACCOUNT_TEAM}
    for outsider in (org.rep2, org.manager_jiangsu, org.manager_north, org.admin):
        assert wish_item_sides_for(outsider, account) == set()


@pytest.mark.parametrize("position", [BidPosition.BID, BidPosition.NO_BID])
def test_when_both_sides_agree_that_is_the_decision(org, plan, position):
    item = _wish(plan, org.rep1)
    item = services.wish_item_take_position(
        item=item, by=org.manager_east, position=position, note="Fits our region's plan"
    )
    assert (item.decision, item.region_position, item.region_by) == (
        BidDecision.PENDING,
        position,
        org.manager_east,
    )
    item = services.wish_item_take_position(
        item=item, by=org.engineer, position=position, note="We have the references"
    )
    assert item.decision == position
    assert item.decided_at is not None
    assert item.escalated_to is None and not item.was_escalated


def test_disagreement_with_nobody_above_both_sides_goes_to_an_administrator(org, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.NO_BID, note="Margin too thin"
    )
    item = services.wish_item_take_position(
        item=item, by=org.rep1, position=BidPosition.BID, note="Strategic foothold"
    )
    # East China's manager is the manager above Shanghai, but he is a party to the dispute.
    assert item.decision == BidDecision.ESCALATED
    assert item.escalated_to == org.admin


def test_disagreement_escalates_to_the_manager_above_both_sides_with_both_positions(national):
    account = _strategic_account(
        name="Guangzhou Metro",
        owner_team=national["guangzhou"],
        owner=national["rep5"],
    )
    plan = _plan(account, national["rep5"])
    item = _wish(plan, national["rep5"])
    services.wish_item_take_position(
        item=item, by=national["m_south"], position=BidPosition.NO_BID, note="No delivery staff"
    )
    item = services.wish_item_take_position(
        item=item, by=national["m_guangzhou"], position=BidPosition.BID, note="Must-win line 9"
    )

    item.refresh_from_db()
    assert item.decision == BidDecision.ESCALATED
    assert item.escalated_to == national["china"]
    assert (item.region_position, item.region_note, item.region_by) == (
        BidPosition.NO_BID,
        "No delivery staff",
        national["m_south"],
    )
    assert (item.account_team_position, item.account_team_note, item.account_team_by) == (
        BidPosition.BID,
        "Must-win line 9",
        national["m_guangzhou"],
    )

    for not_the_judge in (national["m_south"], national["m_guangzhou"], national["rep5"]):
        with pytest.raises(PermissionRefused):
            services.wish_item_decide_escalation(
                item=item, by=not_the_judge, decision=BidPosition.BID, note="Me"
            )
    item = services.wish_item_decide_escalation(
        item=item, by=national["china"], decision=BidPosition.BID, note="Line 9 sets the standard"
    )
    assert (item.decision, item.escalation_decision, item.escalation_by) == (
        BidDecision.BID,
        BidPosition.BID,
        national["china"],
    )
    assert item.region_position == BidPosition.NO_BID  # the losing position stays on record
    with pytest.raises(Conflict):
        services.wish_item_decide_escalation(
            item=item, by=national["china"], decision=BidPosition.NO_BID, note="Changed my mind"
        )


def test_region_of_the_customer_may_differ_from_the_owner_teams_region(org):
    account = _strategic_account(
        name="Beijing Grid Shanghai Branch",
        owner_team=org.shanghai,
        owner=org.rep1,
        region=org.north,
    )
    assert wish_item_sides_for(org.manager_north, account) == {WishSide.REGION}
    assert wish_item_sides_for(org.manager_east, account) == set()
    # North China's manager joins the plan without seeing East China's other accounts.
    assert account in plan_accounts_visible_to(org.manager_north)
    assert account not in account_list_visible_to(org.manager_north)

    plan = _plan(account, org.rep1)
    item = _wish(plan, org.manager_north)  # the region proposes targets too
    services.wish_item_take_position(
        item=item, by=org.manager_north, position=BidPosition.BID, note="Grid HQ wants it"
    )
    item = services.wish_item_take_position(
        item=item, by=org.rep1, position=BidPosition.NO_BID, note="Incumbent too strong"
    )
    # East China leads Shanghai but not North China: nobody leads both sides but an admin.
    assert item.escalated_to == org.admin


def test_positions_are_locked_once_decided(org, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.BID, note="Yes"
    )
    services.wish_item_take_position(item=item, by=org.rep1, position=BidPosition.BID, note="Yes")
    for who in (org.manager_east, org.rep1):
        with pytest.raises(Conflict):
            services.wish_item_take_position(
                item=item, by=who, position=BidPosition.NO_BID, note="Second thoughts"
            )
    item.refresh_from_db()
    assert (item.decision, item.region_position, item.account_team_position) == (
        BidDecision.BID,
        BidPosition.BID,
        BidPosition.BID,
    )


def test_positions_are_locked_once_escalated(org, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.BID, note="Yes"
    )
    services.wish_item_take_position(item=item, by=org.rep1, position=BidPosition.NO_BID, note="No")
    with pytest.raises(Conflict):
        services.wish_item_take_position(
            item=item, by=org.rep1, position=BidPosition.BID, note="Fine, bid"
        )
    item.refresh_from_db()
    assert (item.decision, item.account_team_position) == (
        BidDecision.ESCALATED,
        BidPosition.NO_BID,
    )


def test_a_side_may_change_its_position_until_the_other_side_answers(org, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(
        item=item, by=org.rep1, position=BidPosition.NO_BID, note="Not now"
    )
    item = services.wish_item_take_position(
        item=item, by=org.engineer, position=BidPosition.BID, note="Solution is ready after all"
    )
    assert (item.account_team_position, item.account_team_by) == (BidPosition.BID, org.engineer)
    assert item.decision == BidDecision.PENDING


def test_outsiders_take_no_position(org, plan):
    item = _wish(plan, org.rep1)
    for outsider in (org.rep2, org.manager_jiangsu, org.admin):
        with pytest.raises(PermissionRefused):
            services.wish_item_take_position(
                item=item, by=outsider, position=BidPosition.BID, note="Why not"
            )
    with pytest.raises(PermissionRefused):
        services.wish_item_take_position(
            item=item,
            by=org.rep1,
            position=BidPosition.BID,
            note="Pretending to be the region",
            side=WishSide.REGION,
        )


def test_a_position_needs_a_reason(org, plan):
    item = _wish(plan, org.rep1)
    with pytest.raises(AccountRuleError):
        services.wish_item_take_position(
            item=item, by=org.rep1, position=BidPosition.BID, note="  "
        )


def test_one_person_on_both_sides_cannot_decide_alone(org, account, plan):
    services.account_team_set(
        account=account,
        by=org.manager_shanghai,
        role=AccountTeamRole.DELIVERY_OWNER,
        user=org.manager_east,
    )
    item = _wish(plan, org.rep1)
    assert wish_item_sides_for(org.manager_east, account) == {
        WishSide.REGION,
        WishSide.ACCOUNT_TEAM,
    }
    with pytest.raises(AccountRuleError, match="choose the side"):
        services.wish_item_take_position(
            item=item, by=org.manager_east, position=BidPosition.BID, note="Bid"
        )
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.BID, note="Bid", side="region"
    )
    with pytest.raises(AccountRuleError, match="second person"):
        services.wish_item_take_position(
            item=item,
            by=org.manager_east,
            position=BidPosition.BID,
            note="Bid",
            side="account_team",
        )
    item.refresh_from_db()
    assert (item.decision, item.account_team_position) == (
        BidDecision.PENDING,
        BidPosition.UNDECIDED,
    )


def test_wish_items_need_a_region_to_decide_with(org):
    key_accounts = TeamFactory(name="Key Accounts")  # a sales team outside every region
    key_accounts.manager = UserFactory(username="m.key", role=Role.MANAGER, team=key_accounts)
    key_accounts.save(update_fields=["manager"])
    assert key_accounts.kind == TeamKind.SALES
    account = _strategic_account(
        name="State Grid HQ",
        owner_team=key_accounts,
        owner=UserFactory(username="rep.key", team=key_accounts),
    )
    plan = _plan(account, key_accounts.manager)
    with pytest.raises(AccountRuleError, match="region"):
        _wish(plan, key_accounts.manager)


def test_wish_item_can_be_corrected_until_the_first_position(org, plan):
    item = _wish(plan, org.rep1)
    item = services.wish_item_update(item=item, by=org.rep1, version=1, title="MES, plants 2+3")
    assert (item.title, item.version) == ("MES, plants 2+3", 2)
    services.wish_item_take_position(item=item, by=org.rep1, position=BidPosition.BID, note="Go")
    with pytest.raises(AccountRuleError):
        services.wish_item_update(item=item, by=org.rep1, version=3, title="Something else")
    with pytest.raises(AccountRuleError):
        services.wish_item_delete(item=item, by=org.rep1, version=3)


def test_wish_items_awaiting_show_who_must_act(org, plan):
    item = _wish(plan, org.rep1)
    assert list(wish_items_awaiting(org.manager_east)) == [item]
    assert list(wish_items_awaiting(org.rep1)) == [item]
    assert list(wish_items_awaiting(org.rep2)) == []

    services.wish_item_take_position(item=item, by=org.rep1, position=BidPosition.BID, note="Go")
    assert list(wish_items_awaiting(org.manager_east)) == [item]
    assert list(wish_items_awaiting(org.engineer)) == []  # the account team has answered
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.NO_BID, note="No"
    )
    assert list(wish_items_awaiting(org.manager_east)) == []
    assert list(wish_items_awaiting(org.rep1)) == []
    assert list(wish_items_awaiting(org.admin)) == [item]  # escalated to the administrator


def test_plan_of_an_account_that_lost_tier_a_is_read_only(org, account, plan):
    services.account_override_tier(
        account=account, by=org.manager_shanghai, tier=Tier.B, reason="Budget frozen"
    )
    plan.account.refresh_from_db()
    with pytest.raises(AccountRuleError):
        _wish(plan, org.rep1)


# The roadmap ------------------------------------------------------------------------------


def test_roadmap_item_cannot_end_before_it_starts(org, plan):
    with pytest.raises(ValidationError) as error:
        services.roadmap_item_create(
            plan=plan,
            by=org.rep1,
            initiative="Plant 2 digitalisation",
            offering="MES",
            start_month=datetime.date(YEAR, 6, 1),
            end_month=datetime.date(YEAR, 3, 1),
        )
    assert "end_month" in error.value.message_dict
    assert not plan.roadmap_items.exists()


def test_roadmap_is_shared_by_the_region_and_the_account_team(org, plan):
    wish = _wish(plan, org.rep1)
    item = services.roadmap_item_create(
        plan=plan,
        by=org.manager_east,
        initiative="Plant 2 digitalisation",
        offering="MES",
        start_month=datetime.date(YEAR - 1, 11, 15),
        end_month=datetime.date(YEAR, 4, 1),
        wish_item=wish,
    )
    assert item.start_month == datetime.date(YEAR - 1, 11, 1)  # month precision
    assert item.months_in_year(YEAR) == (1, 4)
    item = services.roadmap_item_update(item=item, by=org.rep1, version=1, offering="MES + QMS")
    with pytest.raises(Conflict):
        services.roadmap_item_update(item=item, by=org.rep1, version=1, offering="MES")
    with pytest.raises(PermissionRefused):
        services.roadmap_item_delete(item=item, by=org.rep2)
    services.roadmap_item_delete(item=item, by=org.manager_east)
    assert not plan.roadmap_items.exists()


def test_roadmap_item_must_touch_the_plan_year_and_link_its_own_wish_list(org, account, plan):
    next_plan = _plan(account, org.rep1, year=YEAR + 1)
    other_wish = _wish(next_plan, org.rep1)
    with pytest.raises(ValidationError) as error:
        services.roadmap_item_create(
            plan=plan,
            by=org.rep1,
            initiative="Data centre move",
            offering="Hosting",
            start_month=datetime.date(YEAR + 1, 2, 1),
            end_month=datetime.date(YEAR + 1, 5, 1),
            wish_item=other_wish,
        )
    assert {"start_month", "wish_item"} <= set(error.value.message_dict)


# Pages --------------------------------------------------------------------------------------


def test_plan_page_is_hidden_from_other_regions(org, client, plan):
    client.force_login(org.rep4)
    response = client.get(reverse("accounts:plan-year", args=[plan.account.pk, YEAR]))
    assert response.status_code == 404


def test_plan_page_shows_objectives_wish_list_and_roadmap(org, client, plan):
    _wish(plan, org.rep1, title="MES rollout, plant 2")
    services.roadmap_item_create(
        plan=plan,
        by=org.rep1,
        initiative="Plant 2 digitalisation",
        offering="Manufacturing execution",
        start_month=datetime.date(YEAR, 3, 1),
        end_month=datetime.date(YEAR, 8, 1),
    )
    client.force_login(org.manager_east)
    response = client.get(reverse("accounts:plan-year", args=[plan.account.pk, YEAR]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "12,000,000" in content
    assert "MES rollout, plant 2" in content
    assert "Plant 2 digitalisation" in content
    assert "grid-column: 4 / 10" in content  # March to August on the month grid
    assert 'data-testid="position-form-region"' in content  # his side's buttons
    assert 'data-testid="position-form-account_team"' not in content


def test_plan_page_of_a_tier_c_account_explains_plans_are_for_strategic_accounts(org, client):
    account = services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Small Workshop", owner=org.rep1
    )
    client.force_login(org.rep1)
    response = client.get(reverse("accounts:plan", args=[account.pk]))
    assert response.status_code == 200
    assert 'data-testid="not-strategic"' in response.content.decode()
    assert 'data-testid="plan-create-form"' not in response.content.decode()


def test_plan_is_started_from_the_page(org, client, account):
    client.force_login(org.rep1)
    response = client.post(
        reverse("accounts:plan-create", args=[account.pk, YEAR]),
        {"revenue_objective": "9000000", "gross_margin_objective_pct": "30", "notes": ""},
    )
    assert response.status_code == 302
    assert AccountPlan.objects.get(account=account, year=YEAR).revenue_objective == 9000000


def test_positions_and_escalation_through_the_page(org, client, plan):
    item = _wish(plan, org.rep1)
    url = reverse("accounts:wish-position", args=[plan.account.pk, item.pk])
    client.force_login(org.manager_east)
    client.post(url, {"position": "bid", "note": "Region backs it", "side": "region"})
    client.force_login(org.rep1)
    response = client.post(url, {"position": "no_bid", "note": "Too early"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="escalation"' in response.content.decode()
    item.refresh_from_db()
    assert (item.decision, item.escalated_to) == (BidDecision.ESCALATED, org.admin)

    decide = reverse("accounts:wish-decide", args=[plan.account.pk, item.pk])
    client.post(decide, {"decision": "no_bid", "note": "Wait for the budget"})  # rep1: refused
    item.refresh_from_db()
    assert item.decision == BidDecision.ESCALATED
    client.force_login(org.admin)
    page = client.get(reverse("accounts:plan-year", args=[plan.account.pk, YEAR]))
    assert 'data-testid="escalation-form"' in page.content.decode()
    client.post(decide, {"decision": "no_bid", "note": "Wait for the budget"})
    item.refresh_from_db()
    assert (item.decision, item.escalation_by) == (BidDecision.NO_BID, org.admin)


def test_plan_page_queries_do_not_grow_with_the_plan(
    org, client, plan, django_assert_max_num_queries
):
    for number in range(8):
        wish = _wish(plan, org.rep1, title=f"Target {number}")
        services.wish_item_take_position(
            item=wish, by=org.rep1, position=BidPosition.BID, note="Go"
        )
        services.roadmap_item_create(
            plan=plan,
            by=org.rep1,
            initiative=f"Initiative {number}",
            offering="MES",
            start_month=datetime.date(YEAR, 1 + number, 1),
            end_month=datetime.date(YEAR, 1 + number, 1),
            wish_item=wish,
        )
    client.force_login(org.rep1)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("accounts:plan-year", args=[plan.account.pk, YEAR]))
    assert response.content.decode().count('data-testid="wish-item"') == 8
    assert WishListItem.objects.filter(plan=plan).count() == 8


def test_roadmap_form_takes_months_and_shows_the_rules_message(org, client, plan):
    client.force_login(org.manager_east)
    url = reverse("accounts:roadmap-create", args=[plan.account.pk, YEAR])
    data = {"initiative": "ERP upgrade", "offering": "ERP", "notes": ""}
    response = client.post(url, {**data, "start_month": "2026-09", "end_month": "2026-02"})
    assert response.status_code == 200
    assert "The end month cannot be before the start month." in response.content.decode()
    assert not plan.roadmap_items.exists()

    response = client.post(url, {**data, "start_month": "2026-02", "end_month": "2026-09"})
    assert response.status_code == 302
    item = plan.roadmap_items.get()
    assert (item.start_month, item.end_month) == (
        datetime.date(YEAR, 2, 1),
        datetime.date(YEAR, 9, 1),
    )


def test_edit_pages_render_for_the_account_team(org, client, plan):
    goal = services.plan_goal_create(
        plan=plan, by=org.rep1, kind="new_business_line", description="Enter the logistics arm"
    )
    wish = _wish(plan, org.rep1)
    roadmap = services.roadmap_item_create(
        plan=plan,
        by=org.rep1,
        initiative="Warehouse automation",
        offering="WMS",
        start_month=datetime.date(YEAR, 5, 1),
        end_month=datetime.date(YEAR, 7, 1),
    )
    account_pk = plan.account.pk
    client.force_login(org.rep1)
    for url in (
        reverse("accounts:plan-edit", args=[account_pk, YEAR]),
        reverse("accounts:plan-goal-edit", args=[account_pk, goal.pk]),
        reverse("accounts:wish-edit", args=[account_pk, wish.pk]),
        reverse("accounts:roadmap-edit", args=[account_pk, roadmap.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="version"' in response.content.decode(), url
    assert 'value="2026-05"' in response.content.decode()


# Home pages -------------------------------------------------------------------------------


def _home(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_home_page_lists_a_new_wish_item_for_both_sides_and_nobody_else(org, client, plan):
    item = _wish(plan, org.rep1)
    plan_link = reverse("accounts:plan-year", args=[plan.account.pk, YEAR]) + f"#wish-{item.pk}"
    expected = {
        org.rep1: "Your position for the account team",  # the owner
        org.engineer: "Your position for the account team",  # the solution owner
        org.manager_shanghai: "Your position for the account team",  # the owner team's manager
        org.manager_east: "Your position for the region",
    }
    for user, action in expected.items():
        response = _home(client, user)
        assert response.context["wish_items_awaiting"] == [item], user
        html = response.content.decode()
        assert "MES rollout, plant 2" in html
        assert f'href="{plan_link}"' in html
        assert "Shanghai Auto Parts" in html
        assert action in html, user
    for user in (org.rep2, org.manager_north, org.lead):
        response = _home(client, user)
        assert response.context["wish_items_awaiting"] == [], user
        assert "No wish-list item awaits your position or decision." in response.content.decode()


def test_home_page_drops_the_item_once_the_side_has_answered(org, client, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(
        item=item, by=org.engineer, position=BidPosition.BID, note="Go"
    )
    assert _home(client, org.rep1).context["wish_items_awaiting"] == []
    assert _home(client, org.manager_east).context["wish_items_awaiting"] == [item]


def test_home_page_of_the_escalation_manager_asks_for_the_decision(org, client, plan):
    item = _wish(plan, org.rep1)
    services.wish_item_take_position(item=item, by=org.rep1, position=BidPosition.BID, note="Go")
    services.wish_item_take_position(
        item=item, by=org.manager_east, position=BidPosition.NO_BID, note="Margin too thin"
    )
    response = _home(client, org.admin)  # nobody above both sides: an administrator decides
    assert response.context["wish_items_awaiting"] == [item]
    assert "Decide the escalation" in response.content.decode()
    for user in (org.rep1, org.manager_east, org.manager_shanghai):
        assert _home(client, user).context["wish_items_awaiting"] == [], user


def test_home_card_shows_the_first_items_and_counts_the_rest_in_fixed_queries(
    org, client, plan, django_assert_max_num_queries
):
    for number in range(HOME_WISH_ITEMS + 3):
        _wish(plan, org.rep1, title=f"Target {number}")
    client.force_login(org.manager_east)
    with django_assert_max_num_queries(21):  # the whole home page, every card included
        response = client.get(reverse("home"))
    assert len(response.context["wish_items_awaiting"]) == HOME_WISH_ITEMS
    assert response.context["wish_items_awaiting_total"] == HOME_WISH_ITEMS + 3
    html = response.content.decode()
    assert html.count('data-testid="wish-item-awaiting"') == HOME_WISH_ITEMS
    assert "3 more items await you on the account plans." in html
