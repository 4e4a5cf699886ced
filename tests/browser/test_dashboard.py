"""The manager's dashboard in a real browser, in English and in Simplified Chinese: the funnel
chart is drawn from the stored snapshots, the scorecard table has the rep's numbers, an alert
is acknowledged in place (htmx), and a funnel stage drills down to the deals behind it.

In Chinese the test reads structure and data (ids, numbers, names), not the UI wording."""

import pytest

from forecasting.choices import AlertStatus
from forecasting.models import Alert, ForecastRun, FunnelSnapshot, RepMonth
from tests.browser.helpers import log_in
from tests.forecasting.dashboard_data import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"en": "en-GB", "zh-hans": "zh-CN"}


def digits(text: str) -> str:
    """A number as shown, without the thousands separator (English has one, Chinese none)."""
    return text.replace(",", "").strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_reads_the_dashboard_acknowledges_an_alert_and_drills_down(
    browser, live_server, org, pipeline, make_deal, language
):
    deal = make_deal()  # rep1's, in the first stage of the test process
    # The deal's creation already recomputed its team (after commit, eagerly); the known
    # rows below replace that, so that the numbers are the ones this test states.
    for model in (FunnelSnapshot, ForecastRun, RepMonth, Alert):
        model.objects.all().delete()
    figures = build(org, pipeline, deal)
    page = browser.new_context(locale=LOCALES[language]).new_page()
    log_in(page, live_server.url, "m.shanghai")
    page.goto(f"{live_server.url}/control/?process=test")
    assert page.get_attribute("html", "lang") == language
    assert page.get_attribute("[data-testid=scope-label]", "data-scope") == "team"
    assert org.shanghai.name in page.inner_text("[data-testid=scope-label]")

    page.wait_for_selector("#funnel-chart svg path", state="attached")
    assert page.locator("#funnel-chart").get_attribute("data-chart-drawn") == "1"
    first = page.locator("[data-testid=funnel-row][data-stage=first]")
    assert digits(first.locator("[data-testid=funnel-count]").inner_text()) == "3"
    assert digits(first.locator("[data-testid=funnel-amount]").inner_text()) == "400000"

    row = page.locator(f"[data-testid=scorecard-row][data-owner='{org.rep1.pk}']")
    assert org.rep1.get_full_name() in row.inner_text()
    assert digits(row.locator("[data-testid=score-pipeline]").inner_text()) == "800000"
    assert digits(row.locator("[data-testid=score-weighted]").inner_text()) == "230000"
    assert row.locator("[data-testid=score-win-rate]").inner_text() == "66.7 %"
    assert row.locator("[data-testid=score-conversion]").inner_text() == "75.0 %"
    assert row.locator("[data-testid=score-cycle]").inner_text() == "60.0"
    assert row.locator("[data-testid=score-attainment]").inner_text() == "50.0 %"
    assert page.locator("[data-testid=scorecard-row]").count() == 2  # rep1 and rep2, not rep3

    alert_row = page.locator(f"[data-testid=alert-row][data-alert='{figures.rep1_alert.pk}']")
    assert alert_row.get_attribute("data-status") == "open"
    alert_row.locator("input[name=note]").fill("Meeting the plant manager on Monday.")
    alert_row.locator("[data-testid=alert-acknowledge]").click()
    page.wait_for_selector(
        f"[data-testid=alert-row][data-alert='{figures.rep1_alert.pk}'][data-status=acknowledged]"
    )
    assert page.is_visible("[data-testid=alert-feedback]")
    acknowledged = Alert.objects.get(pk=figures.rep1_alert.pk)
    assert acknowledged.status == AlertStatus.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == org.manager_shanghai
    assert acknowledged.note == "Meeting the plant manager on Monday."

    # The top band of the funnel is the first stage: a click opens its open deals.
    chart = page.locator("#funnel-chart")
    chart.click(position={"x": chart.bounding_box()["width"] / 2, "y": 40})
    page.wait_for_url("**/opportunities/list/**")
    assert "stage=first" in page.url and f"within_team={org.shanghai.pk}" in page.url
    deals = page.locator("[data-testid=opportunity-row]")
    assert deals.count() == 1
    assert deal.name in deals.first.inner_text()
