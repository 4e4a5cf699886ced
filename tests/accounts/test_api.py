"""The accounts API: visibility, writes through the services (400/403/409), tier actions,
contacts, tier history, the tiering policy, filters, ordering, query counts and the schema."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts import services
from accounts.choices import Tier, TierChangeSource
from accounts.models import Account, AccountTeamMember, Contact, TierChange, TieringPolicy
from tests.factories import AccountFactory, ContactFactory, UserFactory

ACCOUNTS = "/api/v1/accounts/"
CONTACTS = "/api/v1/contacts/"
TIERS = "/api/v1/account-tiers/"
POLICY = "/api/v1/tiering-policy/"


def detail(base: str, pk: int, action: str = "") -> str:
    return f"{base}{pk}/{action + '/' if action else ''}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def shanghai_account(org):
    return services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="Shanghai Auto Parts",
        industry="manufacturing",
        owner=org.rep1,
        region=org.east,
        location="Jiading, Shanghai",
        annual_budget=Decimal("8000000"),
    )


@pytest.fixture
def beijing_account(org):
    return services.account_create(
        by=org.rep4, owner_team=org.beijing, name="Beijing Grid", industry="energy"
    )


@pytest.fixture
def as_rep1(org, api_client):
    api_client.force_authenticate(org.rep1)
    return api_client


# Visibility


def test_rep_lists_only_accounts_of_their_team(org, as_rep1, shanghai_account, beijing_account):
    assert names(as_rep1.get(ACCOUNTS)) == ["Shanghai Auto Parts"]
    assert as_rep1.get(detail(ACCOUNTS, shanghai_account.pk)).status_code == 200
    assert as_rep1.get(detail(ACCOUNTS, beijing_account.pk)).status_code == 404


def test_actions_on_an_invisible_account_answer_404(org, as_rep1, beijing_account):
    response = as_rep1.post(
        detail(ACCOUNTS, beijing_account.pk, "assess"),
        {"criterion": "winnability", "score": 90, "note": "Coach in IT"},
        format="json",
    )
    assert response.status_code == 404
    assert not beijing_account.assessments.exists()


def test_a_manager_sees_the_accounts_of_the_subtree_they_lead(
    org, api_client, shanghai_account, beijing_account
):
    jiangsu = services.account_create(by=org.rep3, owner_team=org.jiangsu, name="Nanjing Steel")
    api_client.force_authenticate(org.manager_east)
    assert names(api_client.get(ACCOUNTS)) == ["Nanjing Steel", "Shanghai Auto Parts"]
    api_client.force_authenticate(org.admin)
    assert api_client.get(ACCOUNTS).json()["count"] == 3
    assert api_client.get(detail(ACCOUNTS, jiangsu.pk)).status_code == 200


def test_the_api_needs_authentication(org, api_client, shanghai_account):
    assert api_client.get(ACCOUNTS).status_code == 401
    assert api_client.get(CONTACTS).status_code == 401


# Create and edit


def test_create_computes_the_tier_and_answers_with_the_explanation(org, as_rep1):
    response = as_rep1.post(
        ACCOUNTS,
        {
            "name": "Suzhou Robotics",
            "industry": "manufacturing",
            "owner_team": org.shanghai.pk,
            "owner": org.rep1.pk,
            "annual_budget": "8000000",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["score"], body["tier"], body["computed_tier"]) == ("20.00", "C", "C")
    assert body["tier_display"] == "C · potential"
    assert body["owner_team_name"] == "Shanghai"
    assert body["version"] == 1
    potential = next(row for row in body["tier_explanation"] if row["criterion"] == "potential")
    assert (potential["score"], potential["weight"], potential["points"]) == ("80.00", 25, "20.00")
    account = Account.objects.get(pk=body["id"])
    assert account.tier_changes.get().source == TierChangeSource.CREATED


def test_create_ignores_tier_fields_only_services_set(org, as_rep1):
    response = as_rep1.post(
        ACCOUNTS,
        {"name": "Hangzhou Silk", "owner_team": org.shanghai.pk, "tier": "A", "score": "99"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["tier"], response.json()["score"]) == ("C", "0.00")


def test_duplicate_name_ignoring_case_is_a_400_with_the_models_message(
    org, as_rep1, shanghai_account
):
    response = as_rep1.post(
        ACCOUNTS, {"name": "shanghai  AUTO parts", "owner_team": org.shanghai.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["An account with this name already exists."]}
    assert Account.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"owner_team": "shanghai"}, "owner_team"),
        ({"industry": "mining"}, "industry"),
        ({"annual_budget": "-1"}, "annual_budget"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_account_payloads_get_a_field_message(org, as_rep1, payload, field):
    response = as_rep1.post(
        ACCOUNTS, {"name": "Ningbo Port", "owner_team": org.shanghai.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Account.objects.exists()


def test_rep_cannot_create_for_a_team_they_do_not_see(org, as_rep1):
    response = as_rep1.post(
        ACCOUNTS, {"name": "Beijing Metro", "owner_team": org.beijing.pk}, format="json"
    )
    assert response.status_code == 400
    assert "owner_team" in response.json()


def test_managers_create_accounts_for_the_teams_they_lead(org, api_client):
    api_client.force_authenticate(org.manager_jiangsu)
    response = api_client.post(
        ACCOUNTS, {"name": "Wuxi Chips", "owner_team": org.shanghai.pk}, format="json"
    )
    assert response.status_code == 400
    assert "owner_team" in response.json()
    api_client.force_authenticate(org.manager_east)
    response = api_client.post(
        ACCOUNTS, {"name": "Wuxi Chips", "owner_team": org.jiangsu.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["owner_team_name"] == "Jiangsu"


def test_parent_cycle_is_a_400_on_parent(org, as_rep1, shanghai_account):
    child = as_rep1.post(
        ACCOUNTS,
        {"name": "SAP Jiading Plant", "owner_team": org.shanghai.pk, "parent": shanghai_account.pk},
        format="json",
    ).json()
    assert child["parent_name"] == "Shanghai Auto Parts"
    response = as_rep1.patch(
        detail(ACCOUNTS, shanghai_account.pk),
        {"parent": child["id"], "version": shanghai_account.version},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"parent": ["An account cannot be its own ancestor."]}
    shanghai_account.refresh_from_db()
    assert shanghai_account.parent is None


def test_patch_edits_through_the_service_and_bumps_the_version(org, as_rep1, shanghai_account):
    response = as_rep1.patch(
        detail(ACCOUNTS, shanghai_account.pk),
        {"location": "Anting, Shanghai", "size": "large", "version": 1, "tier": "A"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["location"], body["version"]) == ("Anting, Shanghai", 2)
    assert body["tier"] == "C"  # read-only: tiers change through the tier actions only
    shanghai_account.refresh_from_db()
    assert (shanghai_account.location, shanghai_account.tier) == ("Anting, Shanghai", Tier.C)


def test_stale_patch_is_a_409_and_changes_nothing(org, api_client, as_rep1, shanghai_account):
    first = as_rep1.patch(
        detail(ACCOUNTS, shanghai_account.pk), {"location": "Anting", "version": 1}, format="json"
    )
    assert first.status_code == 200
    api_client.force_authenticate(org.manager_shanghai)
    stale = api_client.patch(
        detail(ACCOUNTS, shanghai_account.pk), {"location": "Pudong", "version": 1}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json() == {
        "detail": "Somebody else changed this account meanwhile. Reload and try again.",
        "reasons": [],
    }
    shanghai_account.refresh_from_db()
    assert (shanghai_account.location, shanghai_account.version) == ("Anting", 2)


def test_patch_needs_a_version_and_cannot_move_the_account(org, as_rep1, shanghai_account):
    url = detail(ACCOUNTS, shanghai_account.pk)
    assert set(as_rep1.patch(url, {"location": "Anting"}, format="json").json()) == {"version"}
    moved = as_rep1.patch(url, {"owner_team": org.jiangsu.pk, "version": 1}, format="json")
    assert moved.status_code == 400
    assert moved.json()["owner_team"] == ["Transfer the account to move it to another team."]
    assert as_rep1.put(url, {"name": "X", "version": 1}, format="json").status_code == 405
    assert as_rep1.delete(url).status_code == 405
    shanghai_account.refresh_from_db()
    assert (shanghai_account.owner_team, shanghai_account.version) == (org.shanghai, 1)


def test_another_reps_edit_is_refused_with_403(org, api_client, shanghai_account):
    api_client.force_authenticate(org.rep2)  # same team, sees it, neither owner nor manager
    response = api_client.patch(
        detail(ACCOUNTS, shanghai_account.pk), {"location": "Pudong", "version": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "You cannot edit this account."


# Tier actions


def test_override_needs_a_manager_and_a_reason(org, api_client, as_rep1, shanghai_account):
    url = detail(ACCOUNTS, shanghai_account.pk, "override-tier")
    by_rep = as_rep1.post(url, {"tier": "A", "reason": "Big group"}, format="json")
    assert by_rep.status_code == 403
    api_client.force_authenticate(org.manager_shanghai)
    no_reason = api_client.post(url, {"tier": "A", "reason": "  "}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == "Give the reason for the override."
    bad_tier = api_client.post(url, {"tier": "S", "reason": "Top"}, format="json")
    assert set(bad_tier.json()) == {"tier"}
    shanghai_account.refresh_from_db()
    assert (shanghai_account.tier, shanghai_account.tier_override) == (Tier.C, "")


def test_override_survives_recompute_until_cleared(org, api_client, shanghai_account):
    api_client.force_authenticate(org.manager_shanghai)
    url = detail(ACCOUNTS, shanghai_account.pk, "override-tier")
    response = api_client.post(url, {"tier": "A", "reason": "Group framework deal"}, format="json")
    assert response.status_code == 200
    assert (response.json()["tier"], response.json()["tier_override"]) == ("A", "A")
    assert response.json()["tier_override_reason"] == "Group framework deal"

    TieringPolicy.objects.filter(pk=1).update(tier_b_min_score=15, tier_a_min_score=60)
    api_client.force_authenticate(org.admin)
    recompute = api_client.post(f"{ACCOUNTS}recompute-tiers/")
    assert recompute.status_code == 202
    body = api_client.get(detail(ACCOUNTS, shanghai_account.pk)).json()
    assert (body["tier"], body["computed_tier"], body["tier_override"]) == ("A", "B", "A")

    api_client.force_authenticate(org.manager_shanghai)
    cleared = api_client.post(detail(ACCOUNTS, shanghai_account.pk, "clear-override"))
    assert cleared.status_code == 200
    assert (cleared.json()["tier"], cleared.json()["tier_override"]) == ("B", "")
    again = api_client.post(detail(ACCOUNTS, shanghai_account.pk, "clear-override"))
    assert again.status_code == 400


def test_recompute_tiers_is_for_administrators_and_runs_the_task(org, api_client):
    account = AccountFactory(owner_team=org.shanghai, size="enterprise")  # never tiered
    api_client.force_authenticate(org.manager_east)
    assert api_client.post(f"{ACCOUNTS}recompute-tiers/").status_code == 403
    api_client.force_authenticate(org.admin)
    response = api_client.post(f"{ACCOUNTS}recompute-tiers/")
    assert response.status_code == 202
    assert response.json() == {"detail": "Tiers are being recomputed."}
    account.refresh_from_db()
    assert account.score == Decimal("22.50")  # potential 90 (enterprise) x 25 %


def test_assessment_recomputes_the_tier(org, as_rep1, shanghai_account):
    url = detail(ACCOUNTS, shanghai_account.pk, "assess")
    as_rep1.post(url, {"criterion": "winnability", "score": 90, "note": "Coach"}, format="json")
    response = as_rep1.post(
        url, {"criterion": "demonstration", "score": 100, "note": "Flagship"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["score"], response.json()["tier"]) == ("53.00", "B")
    assert response.json()["strategy"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"criterion": "contribution", "score": 50, "note": "x"}, "criterion"),
        ({"criterion": "winnability", "score": 101, "note": "x"}, "score"),
        ({"criterion": "winnability", "score": 50, "note": " "}, "detail"),
    ],
)
def test_bad_assessments_get_400(org, as_rep1, shanghai_account, payload, field):
    response = as_rep1.post(detail(ACCOUNTS, shanghai_account.pk, "assess"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not shanghai_account.assessments.exists()


def test_transfer_moves_the_account_out_of_the_old_teams_sight(org, api_client, shanghai_account):
    api_client.force_authenticate(org.manager_shanghai)
    url = detail(ACCOUNTS, shanghai_account.pk, "transfer")
    refused = api_client.post(url, {"to_team": org.jiangsu.pk, "reason": "Plant"}, format="json")
    assert refused.status_code == 403  # not a manager of Jiangsu
    api_client.force_authenticate(org.manager_east)
    no_reason = api_client.post(url, {"to_team": org.jiangsu.pk, "reason": ""}, format="json")
    assert no_reason.status_code == 400
    moved = api_client.post(url, {"to_team": org.jiangsu.pk, "reason": "Plant"}, format="json")
    assert moved.status_code == 200
    assert (moved.json()["owner_team_name"], moved.json()["owner"]) == ("Jiangsu", None)
    api_client.force_authenticate(org.rep1)
    assert api_client.get(detail(ACCOUNTS, shanghai_account.pk)).status_code == 404


def test_account_team_roles_are_set_and_freed(org, api_client, shanghai_account):
    services.account_override_tier(
        account=shanghai_account, by=org.manager_shanghai, tier=Tier.A, reason="Strategic"
    )
    url = detail(ACCOUNTS, shanghai_account.pk, "team")
    api_client.force_authenticate(org.rep1)
    payload = {"role": "solution_owner", "user": org.engineer.pk}
    assert api_client.put(url, payload, format="json").status_code == 403
    api_client.force_authenticate(org.manager_shanghai)
    response = api_client.put(url, payload, format="json")
    assert response.status_code == 200
    assert response.json()["account_team"] == [
        {
            "role": "solution_owner",
            "role_display": "Solution owner",
            "user": org.engineer.pk,
            "user_name": org.engineer.get_full_name(),
            "since": response.json()["account_team"][0]["since"],
        }
    ]
    unknown = api_client.post(url, {"role": "coach", "user": None}, format="json")
    assert unknown.status_code == 400
    freed = api_client.post(url, {"role": "solution_owner", "user": None}, format="json")
    assert freed.json()["account_team"] == []
    assert not AccountTeamMember.objects.exists()


# Contacts


@pytest.fixture
def cio(shanghai_account):
    return ContactFactory(account=shanghai_account, name="Wang Wei", title="CIO")


def test_contacts_are_scoped_to_visible_accounts(org, as_rep1, cio, beijing_account):
    hidden = ContactFactory(account=beijing_account, name="Li Na")
    assert names(as_rep1.get(CONTACTS)) == ["Wang Wei"]
    assert as_rep1.get(detail(CONTACTS, cio.pk)).json()["account_name"] == "Shanghai Auto Parts"
    assert as_rep1.get(detail(CONTACTS, hidden.pk)).status_code == 404
    assert as_rep1.delete(detail(CONTACTS, cio.pk)).status_code == 405


def test_contact_create_needs_an_account_the_user_sees(org, as_rep1, cio, beijing_account):
    created = as_rep1.post(
        CONTACTS,
        {
            "account": cio.account_id,
            "name": "Zhang Min",
            "title": "IT Manager",
            "phone": "+86 21 5555 0101",
            "reports_to": cio.pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["reports_to_name"], created.json()["version"]) == ("Wang Wei", 1)

    hidden = as_rep1.post(CONTACTS, {"account": beijing_account.pk, "name": "Li"}, format="json")
    assert hidden.status_code == 400
    assert set(hidden.json()) == {"account"}
    assert not beijing_account.contacts.exists()


def test_contact_must_report_to_someone_at_the_same_account(org, api_client, cio):
    other = services.account_create(by=org.rep1, owner_team=org.shanghai, name="Pudong Bank")
    api_client.force_authenticate(org.rep1)
    response = api_client.post(
        CONTACTS, {"account": other.pk, "name": "Chen", "reports_to": cio.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"reports_to": ["A contact reports to someone at the same account."]}


def test_contact_patch_with_version_rejects_loops_and_stale_edits(
    org, as_rep1, shanghai_account, cio
):
    manager = ContactFactory(account=cio.account, name="Zhou Jie", reports_to=cio)
    loop = as_rep1.patch(
        detail(CONTACTS, cio.pk), {"reports_to": manager.pk, "version": 1}, format="json"
    )
    assert loop.status_code == 400
    assert loop.json() == {"reports_to": ["Reporting lines cannot form a loop."]}

    left = as_rep1.patch(
        detail(CONTACTS, cio.pk), {"is_active": False, "version": 1}, format="json"
    )
    assert left.status_code == 200
    assert (left.json()["is_active"], left.json()["version"]) == (False, 2)
    stale = as_rep1.patch(detail(CONTACTS, cio.pk), {"title": "CEO", "version": 1}, format="json")
    assert stale.status_code == 409
    other = services.account_create(by=org.rep1, owner_team=org.shanghai, name="Pudong Bank")
    moved = as_rep1.patch(
        detail(CONTACTS, cio.pk), {"account": other.pk, "version": 2}, format="json"
    )
    assert set(moved.json()) == {"account"}
    echoed = as_rep1.patch(
        detail(CONTACTS, cio.pk), {"account": cio.account_id, "version": 2}, format="json"
    )
    assert echoed.status_code == 200  # sending the current account back is no move
    cio.refresh_from_db()
    assert (cio.account, cio.title, cio.is_active, cio.version) == (
        shanghai_account,
        "CIO",
        False,
        3,
    )
    assert cio.reports_to is None


def test_contact_filters(org, as_rep1, cio):
    ContactFactory(account=cio.account, name="Liu Yang", title="Buyer", is_active=False)
    assert names(as_rep1.get(CONTACTS, {"q": "cio"})) == ["Wang Wei"]
    assert names(as_rep1.get(CONTACTS, {"is_active": "false"})) == ["Liu Yang"]
    assert names(as_rep1.get(CONTACTS, {"ordering": "-name"})) == ["Wang Wei", "Liu Yang"]


# Tier history


def test_tier_history_is_read_only_and_scoped(org, api_client, shanghai_account, beijing_account):
    services.account_override_tier(
        account=shanghai_account, by=org.manager_shanghai, tier=Tier.B, reason="Key plant"
    )
    api_client.force_authenticate(org.rep1)
    rows = api_client.get(TIERS).json()["results"]
    assert [(row["account_name"], row["source"], row["new_tier"]) for row in rows] == [
        ("Shanghai Auto Parts", "override", "B"),
        ("Shanghai Auto Parts", "created", "C"),
    ]
    assert rows[0]["changed_by_name"] == org.manager_shanghai.get_full_name()
    hidden = TierChange.objects.get(account=beijing_account)
    assert api_client.get(detail(TIERS, hidden.pk)).status_code == 404
    assert (
        api_client.post(TIERS, {"account": shanghai_account.pk}, format="json").status_code == 405
    )
    assert api_client.delete(detail(TIERS, rows[0]["id"])).status_code == 405

    filtered = api_client.get(TIERS, {"source": "override", "account": shanghai_account.pk})
    assert [row["source"] for row in filtered.json()["results"]] == ["override"]


# Tiering policy


def test_tiering_policy_is_for_administrators_only(org, api_client):
    for user in (org.rep1, org.manager_east):
        api_client.force_authenticate(user)
        assert api_client.get(POLICY).status_code == 403
        assert api_client.patch(POLICY, {"tier_a_min_score": 60}, format="json").status_code == 403
    assert TieringPolicy.current().tier_a_min_score == 70
    api_client.force_authenticate(org.admin)
    body = api_client.get(POLICY).json()
    assert (body["weight_contribution"], body["tier_a_min_score"]) == (30, 70)
    assert api_client.get(f"{POLICY}1/").status_code == 404


def test_policy_weights_must_add_up_to_100(org, api_client):
    api_client.force_authenticate(org.admin)
    response = api_client.patch(POLICY, {"weight_potential": 30}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "weight_contribution": ["The five criterion weights must add up to 100."]
    }
    assert TieringPolicy.current().weight_potential == 25


def test_policy_change_retiers_every_account_after_commit(
    org, api_client, shanghai_account, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(org.admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.patch(
            POLICY, {"tier_a_min_score": 60, "tier_b_min_score": 15}, format="json"
        )
    assert response.status_code == 200, response.json()
    assert (response.json()["tier_b_min_score"], response.json()["updated_by"]) == (
        15,
        org.admin.pk,
    )
    assert len(callbacks) == 1
    shanghai_account.refresh_from_db()
    assert shanghai_account.tier == Tier.B  # score 20 is now above B's 15


def test_presales_weights_change_no_tier_so_nothing_is_recomputed(
    org, api_client, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(org.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.patch(POLICY, {"presales_weight_a": "2.00"}, format="json")
    assert response.status_code == 200
    assert callbacks == []
    assert TieringPolicy.current().presales_weight_a == Decimal("2.00")


# Filters, ordering, query counts, schema


@pytest.fixture
def portfolio(org, shanghai_account):
    bank = services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Pudong Bank", industry="banking"
    )
    services.account_override_tier(
        account=bank, by=org.manager_shanghai, tier=Tier.A, reason="Group deal"
    )
    services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="Minhang Hospital",
        industry="healthcare",
        size="enterprise",
    )
    return org


def test_filters_by_tier_industry_and_search(portfolio, as_rep1):
    assert names(as_rep1.get(ACCOUNTS, {"tier": "A"})) == ["Pudong Bank"]
    assert names(as_rep1.get(ACCOUNTS, {"tier": ["A", "C"], "industry": "manufacturing"})) == [
        "Shanghai Auto Parts"
    ]
    assert names(as_rep1.get(ACCOUNTS, {"q": "jiading"})) == ["Shanghai Auto Parts"]
    assert names(as_rep1.get(ACCOUNTS, {"overridden": "true"})) == ["Pudong Bank"]
    assert as_rep1.get(ACCOUNTS, {"tier": "S"}).status_code == 400


def test_ordering_by_score_and_tier(portfolio, as_rep1):
    assert names(as_rep1.get(ACCOUNTS, {"ordering": "-score"})) == [
        "Minhang Hospital",  # 22.50: enterprise size
        "Shanghai Auto Parts",  # 20.00: budget
        "Pudong Bank",  # 0.00, tier A by override
    ]
    assert names(as_rep1.get(ACCOUNTS, {"ordering": "tier,-name"})) == [
        "Pudong Bank",
        "Shanghai Auto Parts",
        "Minhang Hospital",
    ]
    assert names(as_rep1.get(ACCOUNTS))[0] == "Minhang Hospital"  # by name by default


def test_account_list_query_count_does_not_grow_with_accounts(
    org, api_client, django_assert_max_num_queries
):
    def add_accounts(count):
        for _ in range(count):
            parent = AccountFactory(owner_team=org.shanghai, region=org.east)
            account = AccountFactory(
                owner_team=org.shanghai, owner=org.rep1, region=org.east, parent=parent
            )
            AccountTeamMember.objects.create(account=account, user=org.rep1, role="account_owner")
            AccountTeamMember.objects.create(
                account=account, user=UserFactory(), role="solution_owner"
            )

    api_client.force_authenticate(org.manager_shanghai)
    add_accounts(2)
    with django_assert_max_num_queries(6) as few:
        assert api_client.get(ACCOUNTS).json()["count"] == 4
    add_accounts(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api_client.get(ACCOUNTS).json()["count"] == 20


def test_contact_and_history_lists_query_count_does_not_grow(
    org, api_client, shanghai_account, django_assert_max_num_queries
):
    boss = ContactFactory(account=shanghai_account)
    ContactFactory.create_batch(10, account=shanghai_account, reports_to=boss)
    for tier in "ABCAB":
        services.account_override_tier(
            account=shanghai_account, by=org.manager_shanghai, tier=tier, reason="Review"
        )
    api_client.force_authenticate(org.rep1)
    with django_assert_max_num_queries(4):
        assert api_client.get(CONTACTS).json()["count"] == Contact.objects.count()
    with django_assert_max_num_queries(4):
        assert api_client.get(TIERS).json()["count"] == 6


def test_root_and_schema_list_the_accounts_endpoints(org, api_client, client):
    api_client.force_authenticate(org.rep1)
    root = api_client.get("/api/v1/").json()
    assert {"accounts", "contacts", "account-tiers", "tiering-policy"} <= set(root)

    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {
        "/api/v1/accounts/",
        "/api/v1/accounts/{id}/",
        "/api/v1/accounts/{id}/override-tier/",
        "/api/v1/accounts/{id}/clear-override/",
        "/api/v1/accounts/{id}/assess/",
        "/api/v1/accounts/{id}/transfer/",
        "/api/v1/accounts/{id}/team/",
        "/api/v1/accounts/recompute-tiers/",
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/account-tiers/",
        "/api/v1/account-tiers/{id}/",
        "/api/v1/tiering-policy/",
    } <= set(paths)
    assert {"get", "patch"} <= set(paths["/api/v1/accounts/{id}/"])
    assert not {"put", "delete"} & set(paths["/api/v1/accounts/{id}/"])
    assert set(paths["/api/v1/tiering-policy/"]) == {"get", "patch"}
    policy = paths["/api/v1/tiering-policy/"]["get"]["responses"]["200"]
    assert policy["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TieringPolicy"
    }


def test_schema_generates_without_warnings(tmp_path):
    # Enum naming collisions, unresolvable fields and the like are warnings, which fail here.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    assert "/api/v1/tiering-policy/" in (tmp_path / "api.yaml").read_text()
