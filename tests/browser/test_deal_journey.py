"""One deal from start to signature in a real browser: a rep opens it from the account page,
logs a visit that proves a milestone and moves on in one submit, maps the decision chain,
requests a gate that a manager approves in another browser, uploads the signed contract and
wins, in English; then a shorter pass in Chinese."""

import pytest

from opportunities.models import Gate, Opportunity, SalesProcess
from tests.browser.helpers import log_in, zh
from tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(account):
    """Two people of the customer: the general manager and the IT head reporting to him."""
    boss = ContactFactory(account=account, name="Chen Wei", title="General manager")
    it_head = ContactFactory(account=account, name="Li Na", title="IT head", reports_to=boss)
    return boss, it_head


@pytest.fixture
def test_process(pipeline):
    """New deals follow the four-stage test process."""
    SalesProcess.objects.update(is_default=False)
    SalesProcess.objects.filter(pk=pipeline.process.pk).update(is_default=True)
    return pipeline


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def open_deal(page, base_url, account, name="Plant 2 MES", amount="2000000"):
    page.goto(f"{base_url}/accounts/{account.pk}/")
    page.click("[data-testid=new-opportunity]")
    page.wait_for_selector("[data-testid=opportunity-form]")
    page.fill("#id_name", name)
    page.fill("#id_amount", amount)
    page.fill("#id_expected_close_date", "2031-06-30")
    page.click("[data-testid=opportunity-form] button[type=submit]")
    page.wait_for_selector("[data-testid=stage-path]")
    return Opportunity.objects.get(name=name)


def map_contact(page, contact, role, influence, attitude, relationship):
    page.select_option("#id_contact", str(contact.pk))
    page.select_option("#id_role", role)
    page.select_option("#id_influence", influence)
    page.select_option("#id_attitude", attitude)
    page.select_option("#id_relationship", str(relationship))
    page.click("[data-testid=chain-form] button[type=submit]")
    page.wait_for_selector(f"[data-testid=chain-node][data-contact='{contact.pk}'][data-attitude]")


def test_a_rep_takes_a_deal_from_the_account_page_to_the_signed_contract(
    browser, live_server, org, account, people, test_process, _media
):
    pipeline = test_process
    boss, it_head = people
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    log_in(page, live_server.url, "rep1")
    deal = open_deal(page, live_server.url, account)
    assert page.inner_text("[data-testid=page-title]").startswith("Plant 2 MES")
    assert page.inner_text("[data-testid=current-stage-name]") == "Stage 1"

    # A visit that proves "need" and moves the deal on, in one submit.
    form = "[data-testid=log-progress-form]"
    assert page.input_value(f"{form} #id_to_stage") == "second"
    page.select_option(f"{form} #id_kind", "visit")
    page.fill(f"{form} #id_subject", "Plant visit with Chen Wei")
    page.check(f"{form} input[name=contacts][value='{boss.pk}']")
    page.fill(f"{form} #id_outcome", "Downtime costs them a shift a week")
    page.check(f"{form} input[name=milestones][value='{pipeline.need.pk}']")
    page.click("[data-testid=log-progress-submit]")
    page.wait_for_selector("text=Progress logged; the opportunity moved to Stage 2.")
    assert page.inner_text("[data-testid=current-stage-name]") == "Stage 2"
    assert "Plant visit with Chen Wei" in page.inner_text("[data-testid=activities]")

    # The decision chain: two people mapped, the gaps close.
    page.click("[data-testid=chain-link]")
    page.wait_for_selector("[data-testid=chain-chart]")
    assert "No economic buyer is mapped" in page.inner_text("[data-testid=chain-gaps]")
    map_contact(page, boss, "economic_buyer", "high", "supporter", 3)
    map_contact(page, it_head, "technical_evaluator", "mid", "champion", 4)
    assert page.inner_text("[data-testid=chain-gaps]").strip() == "The decision chain has no gap."
    chart = page.inner_text("[data-testid=chain-chart]")
    assert chart.index("Chen Wei") < chart.index("Li Na")
    assert "Economic buyer" in chart and "Champion" in chart

    # The ATB gate: refused until the decision criteria are known, then requested.
    page.goto(f"{live_server.url}/opportunities/{deal.pk}/")
    page.click("[data-testid=request-gate]")
    page.fill("#id_note", "Tender expected in June")
    page.click("[data-testid=gate-request-form] button[type=submit]")
    assert "Decision criteria" in page.inner_text("[data-testid=form-errors]")
    page.click("text=Update the qualification")
    page.check("#id_decision_criteria_known")
    page.fill("#id_decision_criteria_note", "Uptime, then price")
    page.click("[data-testid=opportunity-form] button[type=submit]")
    page.wait_for_selector("[data-testid=stage-path]")
    page.click("[data-testid=request-gate]")
    page.click("[data-testid=gate-request-form] button[type=submit]")
    page.wait_for_selector("[data-kind=ATB] >> text=Waiting for a decision")

    # The manager approves in a browser of their own.
    manager = browser.new_context(locale="en-GB").new_page()
    log_in(manager, live_server.url, "m.shanghai")
    manager.click("nav >> text=Gate reviews")
    manager.wait_for_selector("[data-testid=pending-gate]")
    assert "Plant 2 MES" in manager.inner_text("[data-testid=pending-gate]")
    manager.fill("[data-testid=pending-gate] textarea[name$=note]", "Go, keep the margin")
    manager.click("[data-testid=pending-gate] [data-testid=approve]")
    manager.wait_for_selector("[data-testid=no-pending-gates]")
    assert Gate.objects.get().status == "approved"

    # Budget proven by the next call; on to stage 3.
    page.reload()
    assert page.inner_text("[data-kind=ATB] [data-testid=gate-status]").strip() == "Approved"
    page.fill(f"{form} #id_subject", "CFO confirmed the budget")
    page.select_option(f"{form} #id_kind", "call")
    page.check(f"{form} input[name=milestones][value='{pipeline.budget.pk}']")
    page.click("[data-testid=log-progress-submit]")
    page.wait_for_selector("text=Progress logged; the opportunity moved to Stage 3.")

    # Won: the dialog takes the signed contract.
    page.click("[data-testid=open-won]")
    page.wait_for_selector("#won-dialog.show")
    page.set_input_files(
        "#won-dialog input[name=contract]",
        {
            "name": "contract.pdf",
            "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4 signed and sealed",
        },
    )
    page.fill("#won-dialog textarea[name=note]", "Kick-off in July")
    page.click("[data-testid=won-dialog-submit]")
    page.wait_for_selector("[data-testid=handover]")
    assert page.inner_text("[data-testid=status]") == "Won"
    deal.refresh_from_db()
    assert (deal.status, deal.stage) == ("won", pipeline.signed)
    context.close()


def test_the_deal_pages_speak_chinese(browser, live_server, org, account, people, test_process):
    boss, _it_head = people
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, "rep1")
    page.goto(f"{live_server.url}/accounts/{account.pk}/")
    page.click("[data-testid=new-opportunity]")
    assert page.inner_text("[data-testid=page-title]") == zh("New opportunity")
    page.fill("#id_name", "二号工厂MES")
    page.fill("#id_amount", "800000")
    page.fill("#id_expected_close_date", "2031-06-30")
    page.click(f"button:has-text('{zh('Save')}')")
    page.wait_for_selector("[data-testid=stage-path]")
    assert zh("Log progress") in page.inner_text("#log-progress")
    assert zh("Milestones to check") in page.inner_text("[data-testid=current-stage]")
    assert zh("Review gates") in page.inner_text("#gates")

    page.click("[data-testid=chain-link]")
    assert page.inner_text("[data-testid=page-title]") == zh("Decision chain")
    map_contact(page, boss, "economic_buyer", "high", "neutral", 1)
    gaps = page.inner_text("[data-testid=chain-gaps]")
    assert zh("No champion or supporter among the high-influence people.") in gaps
    assert zh("Single-threaded: only one contact is mapped.") in gaps
    context.close()
