"""Presales support in a real browser: a rep asks for it from the deal page and submits; the
lead, in a second browser, approves it from the queue and dispatches it to the suggested
engineer; the engineer starts and logs hours."""

import datetime

import pytest
from django.utils import timezone

from resources.choices import RequestStatus
from resources.models import ResourceRequest, TimeEntry
from tests.browser.helpers import log_in
from tests.factories import EngineerProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_asks_for_presales_the_lead_dispatches_the_engineer_logs_hours(
    browser, live_server, org, make_deal
):
    deal = make_deal()
    engineer = EngineerProfileFactory(user=org.engineer)
    today = timezone.localdate()

    rep = browser.new_context(locale="en-GB").new_page()
    log_in(rep, live_server.url, "rep1")
    rep.goto(f"{live_server.url}/opportunities/{deal.pk}/")
    rep.click("[data-testid=request-presales]")
    rep.wait_for_selector("[data-testid=request-form]")
    assert rep.input_value("#id_opportunity") == str(deal.pk)
    rep.select_option("#id_kind", "technical_exchange")
    rep.fill("#id_estimated_hours", "6")
    rep.fill("#id_wanted_start", today.isoformat())
    rep.fill("#id_wanted_end", (today + datetime.timedelta(days=9)).isoformat())
    rep.fill("#id_justification", "Their IT head wants an architecture session.")
    rep.click("[data-testid=request-save]")
    rep.click("[data-testid=request-submit]")
    rep.wait_for_selector("[data-testid=request-status][data-status=submitted]")
    request = ResourceRequest.objects.get()

    lead = browser.new_context(locale="en-GB").new_page()
    log_in(lead, live_server.url, "presales")
    assert lead.is_visible(f"[data-testid=presales-item][data-request='{request.pk}']")
    lead.goto(f"{live_server.url}/presales/queue/")
    lead.check(f"input[name=requests][value='{request.pk}']")
    lead.click("[data-testid=approve-checked]")
    lead.click(
        f"[data-testid=to-dispatch] [data-request='{request.pk}'] [data-testid=dispatch-link]"
    )
    lead.wait_for_selector("[data-testid=dispatch-form]")
    first = lead.locator("[data-testid=suggestion]").first
    assert first.get_attribute("data-engineer") == str(engineer.pk)
    assert lead.is_checked(f"#id_engineer-{engineer.pk}-pick")
    lead.click("[data-testid=dispatch-submit]")
    lead.wait_for_selector("[data-testid=to-dispatch]")
    request.refresh_from_db()
    assert request.status == RequestStatus.DISPATCHED

    worker = browser.new_context(locale="en-GB").new_page()
    log_in(worker, live_server.url, "engineer1")
    worker.goto(f"{live_server.url}/presales/assignments/")
    worker.click("[data-testid=assignment-start]")
    worker.wait_for_selector("[data-testid=time-log-form]")
    form = "[data-testid=time-log-form]"
    worker.fill(f"{form} input[name$=-hours]", "30")
    worker.click("[data-testid=time-log-submit]")
    assert "A day has 24 hours." in worker.inner_text("[data-testid=form-errors]")
    worker.fill(f"{form} input[name$=-hours]", "2.5")
    worker.click("[data-testid=time-log-submit]")
    worker.wait_for_selector("[data-testid=time-entries]")
    assert "2.50 of 6.00 planned hours logged" in worker.inner_text(
        "[data-testid=planned-vs-actual]"
    )
    assert TimeEntry.objects.get().hours == 2.5
