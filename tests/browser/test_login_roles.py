"""A newcomer's first minutes in a real browser: log in as each demo role, land on that role's
home page, in Chinese when the browser asks for it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from salesops.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLE_HOMES = {
    "admin": "Administration overview",
    "manager": "Team control",
    "rep": "My sales desk",
    "presales": "Presales dispatch",
    "engineer": "My presales assignments",
}


@pytest.fixture
def demo_company(db):
    call_command("seed_demo", "--accounts", "10", stdout=StringIO())


def log_in(page, base_url, username):
    page.goto(f"{base_url}/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=home-title]")


@pytest.mark.parametrize("username", list(ROLE_HOMES))
def test_each_demo_role_lands_on_its_home_page_in_chinese(
    browser, live_server, demo_company, username
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    assert "登录" in page.inner_text("h1")

    log_in(page, live_server.url, username)

    with translation.override("zh-hans"):
        expected = translation.gettext(ROLE_HOMES[username])
    assert expected != ROLE_HOMES[username]
    assert page.inner_text("[data-testid=home-title]") == expected
    assert page.get_attribute("html", "lang") == "zh-hans"
    context.close()


def test_english_browser_and_language_switch(browser, live_server, demo_company):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, live_server.url, "manager")
    assert page.inner_text("[data-testid=home-title]") == "Team control"
    # Bootstrap loaded from our own static files: the navbar is styled, not a bare list.
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "flex"

    page.select_option("#language-switch select", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans]")
    with translation.override("zh-hans"):
        assert page.inner_text("[data-testid=home-title]") == translation.gettext("Team control")
        log_out = translation.gettext("Log out")
    page.click(f"button:has-text('{log_out}')")
    page.wait_for_selector("#id_password")
    context.close()


def test_logout_returns_to_login(browser, live_server, demo_company):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    log_in(page, live_server.url, "rep")
    page.click("button:has-text('Log out')")
    page.wait_for_selector("#id_password")
    assert "/login/" in page.url
    context.close()
