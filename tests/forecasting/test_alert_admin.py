"""The forecasting admin: alert rules edited through a form with one field per threshold of
the rule, checked against the rule's parameter list and saved by the service; alerts shown
read-only with acknowledge and resolve actions that go through the alert services; what the
jobs compute shown read-only."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.admin import rule_form_class
from forecasting.alerts import alerts_scan, describe
from forecasting.choices import AlertKind, AlertStatus
from forecasting.models import Alert, AlertRule, ForecastRun
from opportunities import services as deals
from opportunities.models import SalesProcess

K = AlertKind


def change_url(rule):
    return reverse("admin:forecasting_alertrule_change", args=[rule.pk])


@pytest.fixture
def admin_client(org, client):
    client.force_login(org.admin)
    return client


@pytest.fixture
def gap_alert(org, account):
    """An open alert on rep1's deal: sales stage 6 against the customer's 4."""
    deals.opportunity_create(
        by=org.rep1,
        account=account,
        name="MES rollout",
        amount=Decimal("500000"),
        expected_close_date=timezone.localdate() + datetime.timedelta(days=90),
        process=SalesProcess.objects.get(code="solution"),
        stage="evaluate",
        customer_stage="prove",
    )
    AlertRule.objects.exclude(kind=K.STAGE_GAP).update(is_active=False)
    alerts_scan()
    return Alert.objects.get(kind=K.STAGE_GAP)


def test_rule_page_shows_one_field_per_threshold(admin_client):
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    page = admin_client.get(change_url(rule))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert list(form.fields) == ["is_active", "severity", "days", "from_stage_order"]
    assert (form["days"].value(), form["from_stage_order"].value()) == (14, 2)
    html = page.content.decode()
    assert "Days without activity" in html and "No recent activity" in html


def test_rule_saved_through_the_form(org, admin_client):
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    response = admin_client.post(
        change_url(rule),
        {"is_active": "on", "severity": "critical", "days": "21", "from_stage_order": "3"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.params == {"days": 21, "from_stage_order": 3}
    assert (rule.severity, rule.is_active, rule.updated_by) == ("critical", True, org.admin)


def test_rule_form_refuses_thresholds_out_of_bounds(admin_client):
    rule = AlertRule.objects.get(kind=K.NO_ACTIVITY)
    response = admin_client.post(
        change_url(rule), {"severity": "warning", "days": "0", "from_stage_order": "1.5"}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["days"] == ["Ensure this value is greater than or equal to 1."]
    assert errors["from_stage_order"] == ["Enter a whole number."]
    rule.refresh_from_db()
    assert rule.params == {"days": 14, "from_stage_order": 2} and rule.is_active


def test_rule_form_checks_decimal_thresholds(db):
    rule = AlertRule.objects.get(kind=K.STALLED)
    form = rule_form_class(K.STALLED)(
        instance=rule, data={"is_active": "on", "severity": "warning", "factor": "0.05"}
    )
    assert not form.is_valid()
    assert form.errors["factor"] == ["Ensure this value is greater than or equal to 0.1."]
    form = rule_form_class(K.STALLED)(
        instance=rule, data={"is_active": "on", "severity": "warning", "factor": "1.5"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_params == {"factor": "1.5"}


def test_rule_without_thresholds_saves_its_switch(admin_client):
    rule = AlertRule.objects.get(kind=K.STAGE_SKIPPED)
    response = admin_client.post(change_url(rule), {"severity": "warning"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.is_active, rule.severity, rule.params) == (False, "warning", {})


def test_rules_cannot_be_added_or_deleted(admin_client):
    rule = AlertRule.objects.get(kind=K.STALLED)
    assert admin_client.get(reverse("admin:forecasting_alertrule_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:forecasting_alertrule_delete", args=[rule.pk])).status_code
        == 403
    )
    listing = admin_client.get(reverse("admin:forecasting_alertrule_changelist"))
    assert listing.status_code == 200
    assert "Factor over the 80th percentile: 1" in listing.content.decode()


def test_alert_list_shows_the_explanation_and_refuses_edits(admin_client, gap_alert):
    listing = admin_client.get(reverse("admin:forecasting_alert_changelist"))
    assert listing.status_code == 200
    assert "is 2 stages ahead of the customer" in describe(gap_alert)
    assert "is 2 stages ahead of the customer" in listing.content.decode()
    response = admin_client.post(
        reverse("admin:forecasting_alert_change", args=[gap_alert.pk]), {"status": "resolved"}
    )
    assert response.status_code == 403
    gap_alert.refresh_from_db()
    assert gap_alert.status == AlertStatus.OPEN


def test_acknowledge_and_resolve_actions_use_the_services(org, admin_client, gap_alert):
    changelist = reverse("admin:forecasting_alert_changelist")
    response = admin_client.post(
        changelist, {"action": "acknowledge", "_selected_action": [gap_alert.pk]}, follow=True
    )
    assert "1 alert acknowledged." in response.content.decode()
    gap_alert.refresh_from_db()
    assert gap_alert.status == AlertStatus.ACKNOWLEDGED and gap_alert.acknowledged_by == org.admin

    admin_client.post(changelist, {"action": "resolve", "_selected_action": [gap_alert.pk]})
    gap_alert.refresh_from_db()
    assert gap_alert.status == AlertStatus.RESOLVED and gap_alert.resolved_by == org.admin

    response = admin_client.post(
        changelist, {"action": "resolve", "_selected_action": [gap_alert.pk]}, follow=True
    )
    assert "This alert is already resolved." in response.content.decode()


@pytest.mark.parametrize(
    "model", ["funnelsnapshot", "stagestatistic", "repmonth", "forecastrun", "jobrun"]
)
def test_computed_rows_are_read_only(admin_client, model):
    assert admin_client.get(reverse(f"admin:forecasting_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:forecasting_{model}_add")).status_code == 403


def test_forecast_run_cannot_be_changed(org, admin_client):
    today = timezone.localdate()
    run = ForecastRun.objects.create(
        method="historical",
        scope="team",
        team=org.shanghai,
        period_kind="quarter",
        period_start=today.replace(day=1),
        period_end=today,
        as_of=today,
        amount=Decimal("100"),
    )
    url = reverse("admin:forecasting_forecastrun_change", args=[run.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"amount": "999"}).status_code == 403
    run.refresh_from_db()
    assert run.amount == Decimal("100")
