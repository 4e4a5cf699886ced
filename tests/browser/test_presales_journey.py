"""Presales support in a real browser, in English and in Simplified Chinese: a rep asks for it
from the deal page with a file and submits; the lead, in a second browser, approves it from the
queue, dispatches it to the suggested engineer and enters the engineer's days off from the load
calendar; the engineer starts and logs hours; the lead reads the contribution charts.

Strings the lead has not translated yet are not asserted in Chinese: those steps check ids,
data attributes, numbers and names, which read the same in both languages."""

import datetime

import pytest
from django.utils import timezone

from resources.choices import RequestStatus
from resources.models import DayOff, ResourceRequest, TimeEntry
from tests.browser.helpers import log_in, zh
from tests.factories import EngineerProfileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [pytest.param("en-GB", id="en"), pytest.param("zh-CN", id="zh-hans")]
RFP = b"%PDF-1.4 the customer's RFP"


def in_language(locale: str, english: str) -> str:
    """A UI string as the page shows it: as written, or its (existing) Chinese."""
    return english if locale.startswith("en") else zh(english)


@pytest.fixture
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_rep_asks_for_presales_the_lead_dispatches_the_engineer_logs_hours(
    browser, live_server, org, make_deal, _media, locale
):
    deal = make_deal()
    engineer = EngineerProfileFactory(user=org.engineer)
    today = timezone.localdate()

    rep = browser.new_context(locale=locale).new_page()
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
    rep.set_input_files(
        "#id_files", files=[{"name": "rfp.pdf", "mimeType": "application/pdf", "buffer": RFP}]
    )
    rep.click("[data-testid=request-save]")
    rep.wait_for_selector("[data-testid=attachment]")
    assert rep.inner_text("[data-testid=attachment-download]") == "rfp.pdf"
    rep.click("[data-testid=request-submit]")
    rep.wait_for_selector("[data-testid=request-status][data-status=submitted]")
    request = ResourceRequest.objects.get()

    lead = browser.new_context(locale=locale).new_page()
    log_in(lead, live_server.url, "presales")
    assert lead.is_visible(f"[data-testid=presales-item][data-request='{request.pk}']")
    lead.goto(f"{live_server.url}/presales/queue/")
    assert lead.inner_text("[data-testid=page-title]") == in_language(locale, "Dispatch queue")
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

    # The lead sees the file too, and the engineer's days off from the load calendar.
    lead.goto(f"{live_server.url}/presales/{request.pk}/")
    assert lead.inner_text("[data-testid=attachment-download]") == "rfp.pdf"
    lead.goto(f"{live_server.url}/presales/load/")
    assert lead.inner_text("[data-testid=page-title]") == in_language(locale, "Load calendar")
    row = f"[data-testid=load-row][data-engineer='{engineer.pk}']"
    lead.click(f"{row} [data-testid=days-off-link]")
    lead.wait_for_selector(f"[data-testid=page-title][data-engineer='{engineer.pk}']")
    next_monday = today + datetime.timedelta(days=7 - today.weekday())
    form = "[data-testid=day-off-form]"
    lead.fill(f"{form} #id_start", next_monday.isoformat())
    lead.fill(f"{form} #id_end", (next_monday + datetime.timedelta(days=2)).isoformat())
    lead.fill(f"{form} #id_reason", "Training")
    lead.click("[data-testid=day-off-save]")
    lead.wait_for_selector("[data-testid=day-off-range][data-days='3']")
    # The same days again overlap: refused on the form, nothing written.
    lead.fill(f"{form} #id_start", next_monday.isoformat())
    lead.fill(f"{form} #id_end", next_monday.isoformat())
    lead.click("[data-testid=day-off-save]")
    assert next_monday.isoformat() in lead.inner_text(f"{form} [data-testid=form-errors]")
    assert DayOff.objects.filter(engineer=engineer).count() == 3
    lead.goto(f"{live_server.url}/presales/load/")
    week = lead.locator(f"{row} td[data-days-off='3']")
    assert week.count() == 1
    daily = engineer.weekly_capacity_hours / 5
    assert week.get_attribute("data-available") == f"{daily * 2:.2f}"

    worker = browser.new_context(locale=locale).new_page()
    log_in(worker, live_server.url, "engineer1")
    worker.goto(f"{live_server.url}/presales/assignments/")
    assert worker.is_visible("[data-testid=my-days-off]")
    worker.click("[data-testid=assignment-start]")
    worker.wait_for_selector("[data-testid=time-log-form]")
    form = "[data-testid=time-log-form]"
    worker.fill(f"{form} input[name$=-hours]", "30")
    worker.click("[data-testid=time-log-submit]")
    assert worker.inner_text("[data-testid=field-error][data-field=hours]") == in_language(
        locale, "A day has 24 hours."
    )
    worker.fill(f"{form} input[name$=-hours]", "2.5")
    worker.click("[data-testid=time-log-submit]")
    worker.wait_for_selector("[data-testid=time-entries]")
    logged = in_language(locale, "%(logged)s of %(planned)s planned hours logged")
    assert worker.inner_text("[data-testid=planned-vs-actual]") == logged % {
        "logged": "2.50",
        "planned": "6.00",
    }
    assert TimeEntry.objects.get().hours == 2.5

    # The contribution report draws its charts beside the tables.
    lead.goto(f"{live_server.url}/presales/reports/")
    assert lead.inner_text("[data-testid=page-title]") == in_language(
        locale, "Presales contribution"
    )
    for chart in ("utilisation-chart", "evaluation-chart", "hours-by-type-chart"):
        lead.wait_for_selector(f"#{chart} svg")
    mine = f"[data-testid=contribution-engineer][data-engineer='{engineer.pk}']"
    assert lead.get_attribute(f"{mine} [data-logged]", "data-logged") == "2.50"
    assert lead.get_attribute("[data-kind=technical_exchange] [data-hours]", "data-hours") == "2.50"
