"""The account pages: list with filters, sort and pages; detail; forms that surface the
services' rules; override; nine-grid; contacts and their org chart; the policy page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import services
from accounts.choices import Tier
from accounts.models import Account, Contact, TieringPolicy
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


def login(client, user):
    client.force_login(user)
    return client


def test_list_shows_only_visible_accounts(org, client, account):
    AccountFactory(name="Beijing Rail", owner_team=org.beijing)
    response = login(client, org.rep1).get(reverse("accounts:list"))
    assert response.status_code == 200
    names = [a.name for a in response.context["page"]]
    assert names == ["Shanghai Auto Parts"]


def test_list_filters_by_tier_and_search_and_sorts_by_score(org, client):
    for index, budget in enumerate(["1000000", "9000000", "5000000"]):
        services.account_create(
            by=org.manager_east,
            owner_team=org.shanghai,
            name=f"Wuxi Machine {index}",
            annual_budget=Decimal(budget),
        )
    AccountFactory(name="Suzhou Bank", owner_team=org.jiangsu, industry="banking")
    login(client, org.manager_east)

    response = client.get(reverse("accounts:list"), {"q": "wuxi", "sort": "-score"})
    assert [a.name for a in response.context["page"]] == [
        "Wuxi Machine 1",
        "Wuxi Machine 2",
        "Wuxi Machine 0",
    ]
    response = client.get(reverse("accounts:list"), {"industry": "banking"})
    assert [a.name for a in response.context["page"]] == ["Suzhou Bank"]
    response = client.get(reverse("accounts:list"), {"tier": "A"})
    assert response.context["page"].paginator.count == 0
    assert "No account matches these filters." in response.content.decode()


def test_list_pages_and_htmx_gets_only_the_table(org, client):
    Account.objects.bulk_create(
        Account(name=f"Customer {n:03d}", owner_team=org.shanghai) for n in range(30)
    )
    login(client, org.rep1)
    second = client.get(reverse("accounts:list"), {"page": 2})
    assert len(second.context["page"]) == 5
    partial = client.get(reverse("accounts:list"), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content
    assert b'data-testid="account-table"' in partial.content


def test_list_query_count_does_not_grow_with_accounts(org, client, django_assert_max_num_queries):
    Account.objects.bulk_create(
        Account(name=f"Customer {n:03d}", owner_team=org.shanghai, owner=org.rep1)
        for n in range(25)
    )
    login(client, org.manager_east)
    with django_assert_max_num_queries(12):
        client.get(reverse("accounts:list"))


def test_detail_shows_explanation_history_grid_and_contacts(org, client, account):
    ContactFactory(account=account, name="Li Wei", title="CIO")
    response = login(client, org.rep1).get(reverse("accounts:detail", args=[account.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Li Wei" in page
    assert "yearly budget 8,000,000; 10,000,000 scores 100" in page
    assert 'data-testid="current-cell"' in page
    assert "Account created" in page


def test_detail_of_an_invisible_account_is_404(org, client, account):
    response = login(client, org.rep4).get(reverse("accounts:detail", args=[account.pk]))
    assert response.status_code == 404


def test_detail_explanation_speaks_chinese(org, client, account):
    login(client, org.rep1)
    response = client.get(
        reverse("accounts:detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "年度预算" in response.content.decode()


def test_create_form_creates_through_the_service(org, client):
    response = login(client, org.rep1).post(
        reverse("accounts:create"),
        {
            "name": "Hangzhou Silk",
            "industry": "retail",
            "status": "prospect",
            "owner_team": org.shanghai.pk,
            "owner": org.rep1.pk,
        },
    )
    account = Account.objects.get(name="Hangzhou Silk")
    assert response.url == reverse("accounts:detail", args=[account.pk])
    assert account.tier_changes.count() == 1


def test_create_form_shows_duplicate_name_on_the_field(org, client, account):
    response = login(client, org.rep1).post(
        reverse("accounts:create"),
        {
            "name": "SHANGHAI AUTO PARTS",
            "industry": "retail",
            "status": "prospect",
            "owner_team": org.shanghai.pk,
        },
    )
    assert response.status_code == 200
    assert "An account with this name already exists." in response.content.decode()
    assert Account.objects.count() == 1


def test_edit_with_a_stale_version_is_refused_with_a_message(org, client, account):
    services.account_update(account=account, by=org.rep1, version=1, location="Pudong")
    response = login(client, org.rep1).post(
        reverse("accounts:edit", args=[account.pk]),
        {"name": account.name, "industry": "retail", "status": "customer", "version": 1},
    )
    assert "Somebody else changed this account" in response.content.decode()
    account.refresh_from_db()
    assert (account.location, account.industry) == ("Pudong", "other")


def test_edit_rejects_a_parent_cycle(org, client, account):
    child = services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Auto Parts Kunshan", parent=account
    )
    response = login(client, org.rep1).post(
        reverse("accounts:edit", args=[account.pk]),
        {
            "name": account.name,
            "industry": "manufacturing",
            "status": "prospect",
            "parent": child.pk,
            "version": account.version,
        },
    )
    assert "An account cannot be its own ancestor." in response.content.decode()
    account.refresh_from_db()
    assert account.parent_id is None


def test_override_needs_a_reason_and_a_manager(org, client, account):
    url = reverse("accounts:override", args=[account.pk])
    login(client, org.rep1)
    response = client.post(url, {"tier": "A", "reason": "Group headquarters"})
    assert "Only a manager of the owner team" in response.content.decode()
    login(client, org.manager_shanghai)
    response = client.post(url, {"tier": "A", "reason": ""})
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.tier == Tier.C
    response = client.post(url, {"tier": "A", "reason": "Group headquarters"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.tier, account.tier_override_reason) == (Tier.A, "Group headquarters")
    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'data-testid="override-notice"' in page


def test_assess_form_recomputes_the_score(org, client, account):
    login(client, org.rep1).post(
        reverse("accounts:assess", args=[account.pk]),
        {"criterion": "winnability", "score": 90, "note": "Sole supplier for 5 years"},
    )
    account.refresh_from_db()
    assert account.score == Decimal("38.00")  # 20 + 90 x 20 %


def test_assess_without_note_is_refused(org, client, account):
    response = login(client, org.rep1).post(
        reverse("accounts:assess", args=[account.pk]),
        {"criterion": "winnability", "score": 90, "note": ""},
        follow=True,
    )
    assert account.assessments.count() == 0
    assert "This field is required." in response.content.decode()


def test_contact_form_validates_phone_and_reporting_line(org, client, account):
    boss = ContactFactory(account=account, name="Zhang San")
    login(client, org.rep2)
    url = reverse("accounts:contact-create", args=[account.pk])
    response = client.post(url, {"name": "Wang Wu", "phone": "call me", "is_active": "on"})
    assert "Enter a phone number" in response.content.decode()
    response = client.post(
        url,
        {"name": "Wang Wu", "phone": "+86 21 5555 0123", "reports_to": boss.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    report = Contact.objects.get(name="Wang Wu")
    assert report.reports_to == boss
    response = client.post(
        reverse("accounts:contact-edit", args=[account.pk, boss.pk]),
        {"name": "Zhang San", "reports_to": report.pk, "version": boss.version},
    )
    assert "Reporting lines cannot form a loop." in response.content.decode()


def test_org_chart_nests_contacts_by_reporting_line(org, client, account):
    ceo = ContactFactory(account=account, name="CEO Chen")
    cio = ContactFactory(account=account, name="CIO Li", reports_to=ceo)
    ContactFactory(account=account, name="IT Manager Zhou", reports_to=cio)
    response = login(client, org.rep1).get(reverse("accounts:contact-chart", args=[account.pk]))
    roots = response.context["roots"]
    assert [root.name for root in roots] == ["CEO Chen"]
    assert [c.name for c in roots[0].reports] == ["CIO Li"]
    assert [c.name for c in roots[0].reports[0].reports] == ["IT Manager Zhou"]


def test_nine_grid_counts_accounts_per_cell(org, client, account):
    big = services.account_create(
        by=org.rep1,
        owner_team=org.shanghai,
        name="Big Bank",
        owner=org.rep1,
        annual_budget=Decimal("20000000"),
    )
    services.account_assess(
        account=big, by=org.rep1, criterion="winnability", score=80, note="Incumbent"
    )
    services.account_assess(
        account=big, by=org.rep1, criterion="demonstration", score=100, note="Flagship reference"
    )
    big.refresh_from_db()
    assert (big.attractiveness, big.position) == ("mid", "high")
    response = login(client, org.rep1).get(reverse("accounts:nine-grid"))
    cells = {
        (c["attractiveness"], c["position"]): c["count"]
        for row in response.context["grid"]
        for c in row
    }
    assert cells[("mid", "high")] == 1
    assert cells[(account.attractiveness, account.position)] == 1
    assert sum(cells.values()) == 2
    listed = client.get(reverse("accounts:list"), {"attractiveness": "mid", "position": "high"})
    assert [a.name for a in listed.context["page"]] == ["Big Bank"]


def test_policy_page_is_for_admins_and_recomputes(
    org, client, account, django_capture_on_commit_callbacks
):
    url = reverse("accounts:tiering-policy")
    assert login(client, org.manager_east).get(url).status_code == 403
    login(client, org.admin)
    data = {
        field: value
        for field, value in TieringPolicy.current().__dict__.items()
        if not field.startswith("_") and field not in {"id", "updated_at", "updated_by_id"}
    }
    response = client.post(url, {**data, "weight_potential": 50})
    assert "must add up to 100" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {**data, "weight_potential": 50, "weight_contribution": 5, "tier_b_min_score": 30}
        )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.score == Decimal("40.00")  # potential 80 x 50 %
    assert account.tier == Tier.B
