"""Customer pages in a real browser: a manager reviews and overrides tiers in English, a rep
creates an account and maps its people in Chinese."""

from decimal import Decimal

import pytest

from accounts import services
from accounts.models import PHONE, Account, Contact
from tests.browser.helpers import log_in, zh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customers(org):
    big = services.account_create(
        by=org.manager_shanghai,
        owner_team=org.shanghai,
        name="Shanghai Harbour Bank",
        industry="banking",
        owner=org.rep1,
        annual_budget=Decimal("12000000"),
    )
    services.account_create(
        by=org.manager_shanghai, owner_team=org.shanghai, name="Pudong Packaging", owner=org.rep2
    )
    return big


def test_manager_filters_opens_and_overrides_a_tier(browser, live_server, org, customers):
    page = browser.new_context(locale="en-GB").new_page()
    log_in(page, live_server.url, "m.shanghai")
    page.click("nav >> text=Accounts")
    page.wait_for_selector("[data-testid=account-table]")
    assert page.inner_text("[data-testid=result-count]") == "2 accounts"

    page.fill("#id_q", "harbour")
    page.wait_for_function(
        "document.querySelector('[data-testid=result-count]').innerText === '1 account'"
    )
    assert "q=harbour" in page.url  # the filter is in the address, so it can be shared
    page.click("text=Shanghai Harbour Bank")
    page.wait_for_selector("[data-testid=tier-explanation]")
    assert "yearly budget 12,000,000" in page.inner_text("[data-testid=tier-explanation]")

    page.click("[data-testid=override-tier]")
    page.select_option("#id_tier", "A")
    page.click("button:has-text('Override')")
    assert "This field is required." in page.inner_text("[data-testid=override-form]")
    page.fill("#id_reason", "Group-wide framework agreement")
    page.click("button:has-text('Override')")
    page.wait_for_selector("[data-testid=override-notice]")
    assert "Group-wide framework agreement" in page.inner_text("[data-testid=override-notice]")
    assert Account.objects.get(pk=customers.pk).tier == "A"

    page.click("nav >> text=Accounts")
    page.click("[data-testid=nine-grid-link]")
    cell = f"[data-testid=cell-{customers.attractiveness}-{customers.position}]"
    assert page.inner_text(f"{cell} [data-testid=count]") == "1"
    page.click(cell)
    page.wait_for_selector("[data-testid=account-table]")
    assert page.inner_text("[data-testid=result-count]") == "1 account"
    assert "Shanghai Harbour Bank" in page.inner_text("[data-testid=account-table]")


def test_rep_creates_an_account_and_maps_contacts_in_chinese(browser, live_server, org, customers):
    page = browser.new_context(locale="zh-CN").new_page()
    log_in(page, live_server.url, "rep1")
    page.goto(f"{live_server.url}/accounts/")
    assert page.inner_text("[data-testid=page-title]") == zh("Accounts")

    page.click("[data-testid=new-account]")
    page.fill("#id_name", "shanghai harbour bank")
    page.click(f"button:has-text('{zh('Save')}')")
    assert zh("An account with this name already exists.") in page.inner_text(
        "[data-testid=account-form]"
    )
    page.fill("#id_name", "Suzhou Precision Motors")
    page.select_option("#id_industry", "manufacturing")
    page.click(f"button:has-text('{zh('Save')}')")
    page.wait_for_selector("[data-testid=tier-explanation]")
    assert page.inner_text("[data-testid=page-title]").startswith("Suzhou Precision Motors")

    page.click(f"text={zh('Add contact')}")
    page.fill("#id_name", "陈总")
    page.fill("#id_title", "总经理")
    page.fill("#id_phone", "not a phone")
    page.click(f"button:has-text('{zh('Save')}')")
    assert zh(PHONE.message) in page.inner_text("[data-testid=contact-form]")
    page.fill("#id_phone", "+86 512 6666 0001")
    page.click(f"button:has-text('{zh('Save')}')")
    page.wait_for_selector("[data-testid=contacts] >> text=陈总")

    page.click(f"text={zh('Add contact')}")
    page.fill("#id_name", "李工")
    page.fill("#id_title", "信息中心主任")
    page.select_option("#id_reports_to", label="陈总 · 总经理")
    page.click(f"button:has-text('{zh('Save')}')")
    page.wait_for_selector("[data-testid=contacts] >> text=李工")
    assert Contact.objects.get(name="李工").reports_to.name == "陈总"

    page.click(f"text={zh('Org chart')}")
    chart = page.inner_text(".org-chart")
    assert chart.index("陈总") < chart.index("李工")
