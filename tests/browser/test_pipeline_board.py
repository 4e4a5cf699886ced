"""The rep's pipeline in a real browser: drag a deal to the next stage, read why it is refused,
check the milestone, drag again; and the same on a phone in Chinese with the "Move to…" form."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from opportunities import services
from opportunities.models import Opportunity, SalesProcess
from tests.browser.helpers import log_in, zh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def deal(org, pipeline, account):
    # Only the test process is active, so the board opens on it whatever the seeded data left
    # (transactional tests flush the migration's default process).
    SalesProcess.objects.exclude(pk=pipeline.process.pk).update(is_active=False)
    return services.opportunity_create(
        by=org.rep1,
        account=account,
        name="MES rollout",
        amount=Decimal("800000"),
        expected_close_date=timezone.localdate() + datetime.timedelta(days=60),
        process=pipeline.process,
    )


def card_in(stage: str, deal) -> str:
    return f"[data-board-column][data-stage={stage}] #deal-{deal.pk}"


def drag(page, deal, stage: str):
    page.drag_and_drop(f"#deal-{deal.pk} .card-body", f"[data-board-column][data-stage={stage}]")


def test_rep_drags_a_deal_is_told_the_missing_milestone_then_moves_it(
    browser, live_server, org, pipeline, deal
):
    page = browser.new_context(locale="en-GB").new_page()
    log_in(page, live_server.url, "rep1")
    page.click("nav >> text=Pipeline")
    page.wait_for_selector(card_in("first", deal))
    assert page.inner_text("[data-testid=page-title]") == "Pipeline"

    drag(page, deal, "second")
    error = page.wait_for_selector("[data-testid=move-error]")
    assert "Milestone not checked: Stage 1 – need" in error.inner_text()
    page.wait_for_selector(card_in("first", deal))  # back where it was
    assert Opportunity.objects.get(pk=deal.pk).stage == pipeline.first

    services.milestone_check(
        opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Pain confirmed by the CIO"
    )
    drag(page, deal, "second")
    page.wait_for_selector("[data-testid=move-done]")
    page.wait_for_selector(card_in("second", deal))
    assert page.inner_text("[data-testid=column-head-second] [data-testid=count]") == "1"
    assert page.inner_text("[data-testid=column-head-first] [data-testid=count]") == "0"
    assert Opportunity.objects.get(pk=deal.pk).stage == pipeline.second


def test_rep_moves_a_deal_with_its_form_on_a_phone_in_chinese(
    browser, live_server, org, pipeline, deal
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server.url, "rep1")
    page.goto(f"{live_server.url}/opportunities/")
    page.wait_for_selector(card_in("first", deal))
    assert page.inner_text("[data-testid=page-title]") == zh("Pipeline")
    # The board scrolls sideways inside the page; the page itself does not.
    assert page.evaluate(
        "(() => { const board = document.querySelector('.pipeline-board');"
        " return board.scrollWidth > board.clientWidth"
        " && document.documentElement.scrollWidth <= window.innerWidth; })()"
    )

    page.select_option(f"#move-{deal.pk}", "second")
    page.click(f"#deal-{deal.pk} [data-testid=move-button]")
    error = page.wait_for_selector("[data-testid=move-error]")
    missing = zh("Milestone not checked: %(stage)s – %(milestone)s") % {
        "stage": "Stage 1",
        "milestone": "need",
    }
    assert missing in error.inner_text()
    assert page.input_value(f"#move-{deal.pk}") == "first"

    services.milestone_check(
        opportunity=deal, milestone=pipeline.need, by=org.rep1, note="客户确认了痛点"
    )
    page.select_option(f"#move-{deal.pk}", "second")
    page.click(f"#deal-{deal.pk} [data-testid=move-button]")
    page.wait_for_selector(card_in("second", deal))
    assert Opportunity.objects.get(pk=deal.pk).stage == pipeline.second
