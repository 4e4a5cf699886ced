"""Account rules: creation, optimistic edits, assessments, recompute idempotence, overrides
surviving recomputes, history, transfers, account team, cycles, visibility."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.choices import AccountTeamRole, Tier, TierChangeSource
from accounts.models import Account, AccountTransfer, TierChange, TieringPolicy
from accounts.selectors import account_list_visible_to
from accounts.tasks import recompute_tiers
from salesops.exceptions import Conflict, PermissionRefused
from tests.factories import AccountFactory, ContactFactory


@pytest.fixture
def account(org):
    return services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="Shanghai Auto Parts",
        owner=org.rep1,
        annual_budget=Decimal("8000000"),
    )


def test_create_computes_tier_with_explanation_and_history(account):
    assert account.score == Decimal("20.00")  # potential 80 x 25 %
    assert account.tier == account.computed_tier == Tier.C
    assert [row["criterion"] for row in account.tier_explanation][:2] == [
        "contribution",
        "potential",
    ]
    change = account.tier_changes.get()
    assert (change.old_tier, change.new_tier, change.source) == (
        "",
        Tier.C,
        TierChangeSource.CREATED,
    )


def test_names_are_unique_ignoring_case_and_spacing(org, account):
    with pytest.raises(ValidationError) as error:
        services.account_create(by=org.rep1, owner_team=org.shanghai, name="shanghai  auto parts")
    assert "already exists" in str(error.value)
    assert Account.objects.count() == 1


def test_rep_cannot_create_accounts_for_another_team(org):
    with pytest.raises(PermissionRefused):
        services.account_create(by=org.rep1, owner_team=org.jiangsu, name="Nanjing Steel")


def test_owner_assessments_raise_the_tier_and_record_history(org, account):
    services.account_assess(
        account=account,
        by=org.rep1,
        criterion="winnability",
        score=90,
        note="Coach in IT; incumbent weak",
    )
    account = services.account_assess(
        account=account, by=org.rep1, criterion="demonstration", score=100, note="Flagship plant"
    )
    # 20 (potential) + 18 (winnability) + 15 (demonstration) = 53 -> B
    assert (account.score, account.tier) == (Decimal("53.00"), Tier.B)
    latest = account.tier_changes.first()
    assert (latest.old_tier, latest.new_tier, latest.changed_by) == (Tier.C, Tier.B, org.rep1)


def test_assessment_needs_a_note(org, account):
    with pytest.raises(services.AccountRuleError):
        services.account_assess(
            account=account, by=org.rep1, criterion="winnability", score=50, note="  "
        )


def test_recompute_is_idempotent(org, account):
    TieringPolicy.objects.filter(pk=1).update(tier_b_min_score=15, tier_a_min_score=60)
    assert recompute_tiers.delay().get() == 1
    history = TierChange.objects.count()
    before = Account.objects.values("score", "tier", "tiered_at").get()
    assert recompute_tiers.delay().get() == 0
    assert TierChange.objects.count() == history
    assert Account.objects.values("score", "tier", "tiered_at").get() == before


def test_override_survives_recompute_until_cleared(org, account):
    services.account_override_tier(
        account=account,
        by=org.manager_shanghai,
        tier=Tier.A,
        reason="Group-wide framework agreement in negotiation",
    )
    TieringPolicy.objects.filter(pk=1).update(tier_b_min_score=15, tier_a_min_score=60)
    services.tiering_recompute()
    account.refresh_from_db()
    assert (account.tier, account.computed_tier) == (Tier.A, Tier.B)
    cleared = services.account_clear_tier_override(account=account, by=org.manager_shanghai)
    assert cleared.tier == Tier.B and cleared.tier_override == ""
    sources = list(account.tier_changes.order_by("pk").values_list("source", flat=True))
    assert sources == ["created", "override", "override_cleared"]


def test_override_needs_a_manager_of_the_owner_team_and_a_reason(org, account):
    with pytest.raises(PermissionRefused):
        services.account_override_tier(account=account, by=org.rep1, tier=Tier.A, reason="x")
    with pytest.raises(PermissionRefused):
        services.account_override_tier(
            account=account, by=org.manager_jiangsu, tier=Tier.A, reason="x"
        )
    with pytest.raises(services.AccountRuleError):
        services.account_override_tier(account=account, by=org.manager_east, tier=Tier.A, reason="")
    account.refresh_from_db()
    assert account.tier_override == ""


def test_stale_edit_is_refused_not_lost(org, account):
    services.account_update(account=account, by=org.rep1, version=1, location="Pudong")
    with pytest.raises(Conflict):
        services.account_update(
            account=account, by=org.manager_shanghai, version=1, location="Minhang"
        )
    account.refresh_from_db()
    assert (account.location, account.version) == ("Pudong", 2)


def test_owner_team_changes_only_through_a_recorded_transfer(org, account):
    with pytest.raises(services.AccountRuleError):
        services.account_update(account=account, by=org.admin, version=1, owner_team=org.jiangsu)
    moved = services.account_transfer(
        account=account,
        by=org.manager_east,
        to_team=org.jiangsu,
        reason="Customer HQ moved to Suzhou",
    )
    assert moved.owner_team == org.jiangsu and moved.owner is None
    transfer = AccountTransfer.objects.get()
    assert (transfer.from_team, transfer.to_team) == (org.shanghai, org.jiangsu)
    with pytest.raises(PermissionRefused):
        services.account_transfer(
            account=moved, by=org.manager_jiangsu, to_team=org.beijing, reason="x"
        )


def test_parent_cycles_are_rejected(org):
    group = AccountFactory(name="Group", owner_team=org.shanghai)
    subsidiary = AccountFactory(name="Subsidiary", owner_team=org.shanghai, parent=group)
    group.parent = subsidiary
    with pytest.raises(ValidationError) as error:
        group.full_clean()
    assert "parent" in error.value.message_dict


def test_contact_reporting_lines_cannot_loop_or_cross_accounts(org):
    cio = ContactFactory(account__owner_team=org.shanghai)
    manager = ContactFactory(account=cio.account, reports_to=cio)
    cio.reports_to = manager
    with pytest.raises(ValidationError):
        cio.full_clean()
    stranger = ContactFactory(account__owner_team=org.shanghai)
    stranger.reports_to = cio
    with pytest.raises(ValidationError):
        stranger.full_clean()
    stranger.reports_to, stranger.phone = None, "call me maybe"
    with pytest.raises(ValidationError) as error:
        stranger.full_clean()
    assert "phone" in error.value.message_dict


def test_account_team_only_for_strategic_accounts(org, account):
    with pytest.raises(services.AccountRuleError):
        services.account_team_set(
            account=account,
            by=org.manager_shanghai,
            role=AccountTeamRole.SOLUTION_OWNER,
            user=org.rep2,
        )
    services.account_override_tier(
        account=account, by=org.manager_shanghai, tier=Tier.A, reason="Strategic"
    )
    account.refresh_from_db()
    services.account_team_set(
        account=account, by=org.manager_shanghai, role=AccountTeamRole.SOLUTION_OWNER, user=org.rep3
    )
    assert account.team_members.get().user == org.rep3
    # Serving on the account team makes the account visible to a rep of another team.
    assert account in account_list_visible_to(org.rep3)


def test_visibility_follows_the_team_tree(org, account):
    other = AccountFactory(name="Beijing Bank", owner_team=org.beijing)
    assert list(account_list_visible_to(org.rep2)) == [account]
    assert list(account_list_visible_to(org.manager_east)) == [account]
    assert list(account_list_visible_to(org.manager_north)) == [other]
    assert set(account_list_visible_to(org.admin)) == {account, other}
    assert not account_list_visible_to(org.engineer).exists()
