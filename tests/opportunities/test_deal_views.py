"""The deal pages: the stage path with this stage's work, create and edit, log progress in one
submit, milestones, winning and losing, gates, manager actions, the decision chain and its
gaps, the wish list's one click, the account page, the agenda, and the page's query count."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.choices import AccountTeamRole, BidPosition, Tier
from accounts.models import Account
from opportunities import selectors, services
from opportunities.models import (
    Activity,
    Competitor,
    DeliveryHandover,
    Gate,
    MilestoneCheck,
    Opportunity,
    OpportunityChange,
    OpportunityContact,
    StageAid,
    StageCollaborator,
    StageTask,
)
from tests.factories import ContactFactory

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def login(client, user):
    client.force_login(user)
    return client


def detail(deal):
    return reverse("opportunities:detail", args=[deal.pk])


def contract_file():
    return SimpleUploadedFile("contract.pdf", b"%PDF-1.4 signed", "application/pdf")


def check(deal, milestone, by, **evidence):
    evidence = evidence or {"note": "seen it"}
    return services.milestone_check(opportunity=deal, milestone=milestone, by=by, **evidence)


def progress(deal, **fields):
    """The log progress form as the page posts it."""
    data = {
        "version": deal.version,
        "kind": "visit",
        "occurred_on": TODAY.isoformat(),
        "subject": "",
        "outcome": "",
        "next_step": "",
        "next_step_due": "",
        "to_stage": "",
        "note": "",
    }
    data.update(fields)
    return data


@pytest.fixture
def deal(make_deal):
    return make_deal()


@pytest.fixture
def big_deal(make_deal):
    """Large enough for the ATB gate (from 1,000,000, needs the decision criteria)."""
    return make_deal(amount="2000000")


# The deal page ---------------------------------------------------------------------------


def test_detail_shows_the_stage_path_and_this_stages_work(org, client, account, pipeline, deal):
    Account.objects.filter(pk=account.pk).update(industry="manufacturing")
    StageTask.objects.create(stage=pipeline.first, name_en="Find the pain", name_zh="找到痛点")
    StageAid.objects.create(
        stage=pipeline.first, kind="questions", title_en="Discovery questions", body_en="Why now?"
    )
    StageAid.objects.create(
        stage=pipeline.first,
        kind="guidance",
        industry="manufacturing",
        title_en="Plant walk-through",
        body_en="Ask to see the line.",
    )
    StageAid.objects.create(
        stage=pipeline.first,
        kind="guidance",
        industry="banking",
        title_en="Core banking regulations",
        body_en="Mind the regulator.",
    )
    StageAid.objects.create(
        stage=pipeline.second, kind="template", title_en="Budget memo", body_en="Later."
    )
    StageCollaborator.objects.create(
        stage=pipeline.first, role="solution_owner", assessed_on_en="Pain confirmed on site"
    )
    account = account_services.account_override_tier(
        account=account, by=org.manager_shanghai, tier=Tier.A, reason="Framework agreement"
    )
    account_services.account_team_set(
        account=account,
        by=org.manager_shanghai,
        role=AccountTeamRole.SOLUTION_OWNER,
        user=org.engineer,
    )
    check(deal, pipeline.nice, org.rep1, note="Met the plant manager")

    response = login(client, org.rep1).get(detail(deal))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="stage-step"') == 4
    assert 'data-stage="first"' in html and 'aria-current="step"' in html
    assert "Customer stage 1" in html  # the customer's purchase stage
    current = response.context["current"]
    assert current["stage"] == pipeline.first
    assert [item["milestone"].code for item in current["milestones"]] == ["need", "nice"]
    assert "Met the plant manager" in html  # the evidence of the checked milestone
    assert "Find the pain" in html
    assert "Discovery questions" in html
    assert "Plant walk-through" in html  # the account's industry
    assert "Core banking regulations" not in html  # another industry
    assert "Budget memo" not in html  # another stage
    assert "Pain confirmed on site" in html
    assert org.engineer.get_full_name() in html  # the account's solution owner
    assert 'data-testid="log-progress-form"' in html


def test_detail_is_404_for_a_deal_the_user_cannot_see(org, client, deal):
    assert login(client, org.rep3).get(detail(deal)).status_code == 404
    assert login(client, org.manager_north).get(detail(deal)).status_code == 404
    assert login(client, org.manager_east).get(detail(deal)).status_code == 200


def test_detail_flags_over_reporting_and_a_managers_probability(org, client, pipeline, deal):
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    services.opportunity_set_probability(
        opportunity=deal, by=org.manager_shanghai, probability=25, reason="Budget is shaky"
    )
    html = login(client, org.rep1).get(detail(deal)).content.decode()
    assert 'data-testid="flag-over-reporting"' in html
    assert 'data-testid="probability-override"' in html
    assert "Budget is shaky" in html


def test_the_detail_page_queries_do_not_grow_with_the_deal(
    org, client, account, pipeline, deal, django_assert_max_num_queries
):
    contacts = [ContactFactory(account=account) for _ in range(6)]
    for number in range(8):
        services.activity_log(
            opportunity=deal,
            by=org.rep1,
            kind="call",
            occurred_on=TODAY,
            subject=f"Call {number}",
            contacts=contacts[:3],
            next_step="Send the deck",
        )
        services.competitor_set(
            opportunity=deal, by=org.rep1, name=f"Rival {number}", threat_level="high"
        )
    for contact in contacts:
        services.decision_chain_set(
            opportunity=deal,
            contact=contact,
            by=org.rep1,
            role="user",
            influence="mid",
            attitude="neutral",
        )
    for number in range(5):
        StageTask.objects.create(stage=pipeline.first, name_en=f"Task {number}")
        StageAid.objects.create(
            stage=pipeline.first, kind="guidance", title_en=f"Aid {number}", body_en="…"
        )
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_update(
        opportunity=deal, by=org.rep1, version=deal.version, amount=Decimal("2500000")
    )
    login(client, org.manager_shanghai)
    with django_assert_max_num_queries(25):
        response = client.get(detail(deal))
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="activity"') == 8


# Creation and edits ----------------------------------------------------------------------


def test_create_is_prefilled_from_the_account_and_opens_the_deal(org, client, account, pipeline):
    login(client, org.rep1)
    url = reverse("opportunities:create")
    page = client.get(url, {"account": account.pk})
    assert page.context["form"]["account"].value() == account.pk
    data = {
        "account": account.pk,
        "name": "",
        "amount": "-5",
        "expected_close_date": (TODAY + datetime.timedelta(days=60)).isoformat(),
        "forecast_category": "pipeline",
        "source": "referral",
        "process": pipeline.process.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    response = client.post(url, {**data, "name": "Plant 2 MES"})
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()
    assert not Opportunity.objects.exists()

    response = client.post(url, {**data, "name": "Plant 2 MES", "amount": "800000"})
    deal = Opportunity.objects.get()
    assert response.status_code == 302
    assert response.url == detail(deal)
    assert (deal.owner, deal.stage, deal.process) == (org.rep1, pipeline.first, pipeline.process)


def test_create_offers_only_visible_accounts(org, client, account):
    login(client, org.rep3)
    response = client.get(reverse("opportunities:create"), {"account": account.pk})
    form = response.context["form"]
    assert form["account"].value() is None
    assert account not in form.fields["account"].queryset


def test_edit_saves_facts_keeps_history_and_refuses_a_stale_version(org, client, deal):
    login(client, org.rep1)
    url = reverse("opportunities:edit", args=[deal.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data["expected_close_date"] = (
        deal.expected_close_date + datetime.timedelta(days=30)
    ).isoformat()
    for name in [name for name in data if name.endswith("_known")]:
        data.pop(name)
    data.update(
        customer_stage=deal.customer_stage.pk,
        decision_criteria_known="on",
        decision_criteria_note="Uptime and TCO",
        reason="Customer's board meets later",
    )
    response = client.post(url, data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.decision_criteria_known and deal.decision_criteria_note == "Uptime and TCO"
    pushed = deal.changes.get(field="expected_close_date")
    assert pushed.reason == "Customer's board meets later"

    response = client.post(url, {**data, "name": "Renamed"})  # the version posted is old
    assert response.status_code == 200
    assert "Somebody else changed this opportunity meanwhile" in response.content.decode()
    deal.refresh_from_db()
    assert deal.name == "MES rollout"


# Log progress ----------------------------------------------------------------------------


def test_log_progress_logs_the_activity_checks_and_moves_in_one_submit(
    org, client, account, pipeline, deal
):
    boss = ContactFactory(account=account, name="Chen")
    login(client, org.rep1)
    page = client.get(detail(deal))
    form = page.context["log_form"]
    assert form["to_stage"].value() == "second"  # the next stage is preselected
    assert [value for value, _label in form.fields["milestones"].choices] == [
        pipeline.need.pk,
        pipeline.nice.pk,
    ]
    response = client.post(
        reverse("opportunities:log-progress", args=[deal.pk]),
        progress(
            deal,
            subject="Plant visit with Chen",
            contacts=[boss.pk],
            outcome="Pain confirmed",
            next_step="Send the budget memo",
            next_step_due=(TODAY + datetime.timedelta(days=3)).isoformat(),
            milestones=[pipeline.need.pk],
            to_stage="second",
            note="Moving on",
        ),
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == pipeline.second
    activity = deal.activities.get()
    assert list(activity.contacts.all()) == [boss]
    assert (
        MilestoneCheck.objects.get(opportunity=deal, milestone=pipeline.need).activity == activity
    )
    assert deal.stage_changes.first().note == "Moving on"


def test_log_progress_refused_saves_nothing_and_lists_the_reasons(org, client, pipeline, deal):
    login(client, org.rep1)
    response = client.post(
        reverse("opportunities:log-progress", args=[deal.pk]),
        progress(deal, subject="Phone call", milestones=[pipeline.nice.pk], to_stage="second"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="refusal"' in html
    assert "Milestone not checked: Stage 1 – need" in html
    assert not Activity.objects.exists()
    assert not MilestoneCheck.objects.exists()
    deal.refresh_from_db()
    assert deal.stage == pipeline.first
    # The form comes back as filled in, to fix and send again.
    assert response.context["log_form"]["subject"].value() == "Phone call"


def test_log_progress_needs_an_activity_for_milestones_and_something_to_log(
    org, client, pipeline, deal
):
    login(client, org.rep1)
    url = reverse("opportunities:log-progress", args=[deal.pk])
    response = client.post(url, progress(deal, milestones=[pipeline.need.pk]))
    assert "Log the activity that proves these milestones" in response.content.decode()
    response = client.post(url, progress(deal))
    assert "Log an activity or choose a stage to move to." in response.content.decode()
    assert not Activity.objects.exists()


def test_rep_cannot_skip_stages_from_the_form(org, client, pipeline, deal):
    login(client, org.rep1)
    form = client.get(detail(deal)).context["log_form"]
    assert [value for value, _label in form.fields["to_stage"].choices] == ["", "second"]
    assert "override_reason" not in form.fields
    form = login(client, org.manager_shanghai).get(detail(deal)).context["log_form"]
    assert [value for value, _label in form.fields["to_stage"].choices] == ["", "second", "third"]
    assert "override_reason" in form.fields


# Milestones ------------------------------------------------------------------------------


def test_milestone_check_with_a_file_then_uncheck(org, client, pipeline, deal):
    check(deal, pipeline.need, org.rep1)
    check(deal, pipeline.budget, org.rep1, note="CFO approved")
    deal.refresh_from_db()
    login(client, org.rep1)
    url = reverse("opportunities:milestone-check", args=[deal.pk, pipeline.contract.pk])
    response = client.post(url, {"note": "no file"})
    assert response.status_code == 200
    assert "This milestone needs an uploaded file as evidence." in response.content.decode()
    response = client.post(url, {"file": contract_file()})
    assert response.status_code == 302
    checked = MilestoneCheck.objects.get(milestone=pipeline.contract)
    download = client.get(
        reverse("opportunities:evidence-file", args=[deal.pk, pipeline.contract.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 signed"
    assert (
        login(client, org.rep3)
        .get(reverse("opportunities:evidence-file", args=[deal.pk, pipeline.contract.pk]))
        .status_code
        == 404
    )

    login(client, org.rep1).post(
        reverse("opportunities:milestone-uncheck", args=[deal.pk, pipeline.contract.pk])
    )
    checked.refresh_from_db()
    assert not checked.is_checked


# Winning and losing ----------------------------------------------------------------------


def _to_third(org, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    check(deal, pipeline.budget, org.rep1, note="CFO approved")
    return services.opportunity_advance(opportunity=deal, to_stage="third", by=org.rep1)


def test_won_needs_the_signed_contract_uploaded_in_the_dialog(org, client, pipeline, deal):
    deal = _to_third(org, deal, pipeline)
    login(client, org.rep1)
    page = client.get(detail(deal))
    assert "contract" in page.context["won_form"].fields
    url = reverse("opportunities:won", args=[deal.pk])
    response = client.post(url, {"version": deal.version, "note": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert "A deal is won only with the signed contract checked as evidence." in html
    deal.refresh_from_db()
    assert deal.status == "open"

    response = client.post(
        url, {"version": deal.version, "note": "Kick-off in May", "contract": contract_file()}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.stage, deal.probability) == ("won", pipeline.signed, 100)
    assert MilestoneCheck.objects.get(milestone=pipeline.contract).evidence_file
    assert DeliveryHandover.objects.get(opportunity=deal).notes == "Kick-off in May"
    html = client.get(detail(deal)).content.decode()
    assert 'data-testid="handover"' in html
    assert 'data-testid="log-progress-form"' not in html


def test_won_refused_keeps_no_upload(org, client, pipeline, deal):
    """From the first stage the win is refused for the milestones left behind: the contract
    uploaded in the same submit is not kept either."""
    login(client, org.manager_shanghai)
    response = client.post(
        reverse("opportunities:won", args=[deal.pk]),
        {"version": deal.version, "contract": contract_file(), "override_reason": "Fast"},
    )
    assert response.status_code == 200
    assert "Milestone not checked: Stage 1 – need" in response.content.decode()
    assert not MilestoneCheck.objects.exists()


def test_lost_needs_a_reason(org, client, pipeline, deal):
    login(client, org.rep1)
    url = reverse("opportunities:close", args=[deal.pk])
    response = client.post(url, {"version": deal.version, "status": "lost", "reason": ""})
    assert response.status_code == 200
    assert "Say why the deal was lost." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == "open"
    response = client.post(
        url,
        {"version": deal.version, "status": "lost", "reason": "price", "note": "20% cheaper"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason, deal.lost_at_stage) == ("lost", "price", pipeline.first)
    assert "20% cheaper" in client.get(detail(deal)).content.decode()


def test_abandoned_needs_no_reason_and_a_manager_reopens(org, client, deal):
    login(client, org.rep1)
    client.post(
        reverse("opportunities:close", args=[deal.pk]),
        {"version": deal.version, "status": "abandoned", "reason": ""},
    )
    deal.refresh_from_db()
    assert deal.status == "abandoned"
    assert client.get(reverse("opportunities:reopen", args=[deal.pk])).status_code == 403
    login(client, org.manager_shanghai)
    assert 'data-testid="reopen"' in client.get(detail(deal)).content.decode()
    client.post(reverse("opportunities:reopen", args=[deal.pk]), {"reason": "Budget is back"})
    deal.refresh_from_db()
    assert deal.status == "open"


# Manager actions -------------------------------------------------------------------------


def test_manager_sets_and_clears_the_probability(org, client, deal):
    url = reverse("opportunities:probability", args=[deal.pk])
    assert login(client, org.rep1).post(url, {"probability": "50"}).status_code == 403
    login(client, org.manager_shanghai)
    response = client.post(url, {"probability": "50", "reason": ""})
    assert "Give the reason for the probability." in response.content.decode()
    client.post(url, {"probability": "50", "reason": "Strong champion"})
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_override_by) == (50, org.manager_shanghai)
    client.post(url, {"probability": "", "reason": ""})
    deal.refresh_from_db()
    assert (deal.probability, deal.probability_override) == (10, None)


def test_manager_skips_a_stage_with_an_override_and_reassigns(org, client, pipeline, deal):
    check(deal, pipeline.need, org.rep1)
    check(deal, pipeline.budget, org.rep1, note="CFO approved")
    deal.refresh_from_db()
    login(client, org.manager_shanghai)
    url = reverse("opportunities:change-stage", args=[deal.pk])
    response = client.post(url, {"version": deal.version, "to_stage": "third"})
    assert "Skipping stages needs a manager's override with a reason." in unescape(
        response.content.decode()
    )
    client.post(
        url, {"version": deal.version, "to_stage": "third", "override_reason": "Tender fast track"}
    )
    deal.refresh_from_db()
    assert deal.stage == pipeline.third
    assert deal.stage_changes.first().override_reason == "Tender fast track"

    client.post(
        reverse("opportunities:reassign", args=[deal.pk]),
        {"version": deal.version, "owner": org.rep2.pk, "reason": "rep1 moves to key accounts"},
    )
    deal.refresh_from_db()
    assert deal.owner == org.rep2
    assert OpportunityChange.objects.filter(opportunity=deal, field="owner").exists()


# Gates -----------------------------------------------------------------------------------


def test_gate_request_shows_unknown_facts_then_a_manager_approves(org, client, big_deal):
    deal = big_deal
    login(client, org.rep1)
    html = client.get(detail(deal)).content.decode()
    assert 'data-kind="ATB"' in html and "Not requested" in html
    url = reverse("opportunities:gate-request", args=[deal.pk, "ATB"])
    response = client.post(url, {"note": "Tender in June"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Before requesting ATB · approve to bid, find out:" in html
    assert "Decision criteria" in html
    assert not Gate.objects.exists()

    deal = services.opportunity_update(
        opportunity=deal, by=org.rep1, version=deal.version, decision_criteria_known=True
    )
    assert client.post(url, {"note": "Tender in June"}).status_code == 302
    gate = Gate.objects.get()

    assert login(client, org.rep1).get(reverse("opportunities:gates-pending")).status_code == 403
    login(client, org.manager_shanghai)
    page = client.get(reverse("opportunities:gates-pending"))
    assert list(page.context["gates"]) == [gate]
    assert "Tender in June" in page.content.decode()
    decide = reverse("opportunities:gate-decide", args=[gate.pk])
    prefix = f"gate-{gate.pk}"
    response = client.post(decide, {f"{prefix}-decision": "rejected", f"{prefix}-note": ""})
    assert response.status_code == 200
    assert "Say why the gate is rejected." in response.content.decode()
    response = client.post(
        decide, {f"{prefix}-decision": "approved", f"{prefix}-note": "Go for it"}
    )
    assert response.status_code == 302
    gate.refresh_from_db()
    assert (gate.status, gate.decided_by) == ("approved", org.manager_shanghai)
    assert selectors.passed_gate_kinds(deal) == {"ATB"}
    assert not client.get(reverse("opportunities:gates-pending")).context["gates"]


def test_a_manager_decides_a_gate_on_the_deal_page(org, client, big_deal):
    deal = services.opportunity_update(
        opportunity=big_deal, by=org.rep1, version=big_deal.version, decision_criteria_known=True
    )
    gate = services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)
    assert (
        'data-testid="gate-decision-form"'
        not in login(client, org.rep1).get(detail(deal)).content.decode()
    )
    login(client, org.manager_shanghai)
    assert 'data-testid="gate-decision-form"' in client.get(detail(deal)).content.decode()
    prefix = f"gate-{gate.pk}"
    response = client.post(
        reverse("opportunities:gate-decide", args=[gate.pk]),
        {
            f"{prefix}-decision": "approved_with_conditions",
            f"{prefix}-conditions": "Margin above 25%",
            "next": detail(deal),
        },
    )
    assert response.url == detail(deal)
    gate.refresh_from_db()
    assert (gate.status, gate.conditions) == ("approved_with_conditions", "Margin above 25%")


# Decision chain --------------------------------------------------------------------------


def _map(deal, contact, by, **fields):
    fields = {"role": "user", "influence": "mid", "attitude": "neutral", **fields}
    return services.decision_chain_set(opportunity=deal, contact=contact, by=by, **fields)


def test_decision_chain_gaps(org, account, deal):
    assert len(selectors.decision_chain_gaps(deal)) == 3  # nobody mapped at all
    cfo = ContactFactory(account=account, name="CFO")
    _map(deal, cfo, org.rep1, role="economic_buyer", influence="high", attitude="neutral")
    gaps = selectors.decision_chain_gaps(deal)
    assert gaps == [
        "No champion or supporter among the high-influence people.",
        "Single-threaded: only one contact is mapped.",
    ]
    engineer = ContactFactory(account=account, name="Engineer")
    _map(deal, engineer, org.rep1, role="champion", influence="low", attitude="champion")
    # A champion without influence does not close the gap.
    assert selectors.decision_chain_gaps(deal) == [
        "No champion or supporter among the high-influence people."
    ]
    _map(deal, cfo, org.rep1, role="economic_buyer", influence="high", attitude="supporter")
    assert selectors.decision_chain_gaps(deal) == []
    services.decision_chain_remove(opportunity=deal, contact=cfo, by=org.rep1)
    assert selectors.decision_chain_gaps(deal) == [
        "No economic buyer is mapped: find out who signs off the budget.",
        "No champion or supporter among the high-influence people.",
        "Single-threaded: only one contact is mapped.",
    ]


def test_decision_chain_page_draws_the_chart_and_maps_people(org, client, account, deal):
    boss = ContactFactory(account=account, name="Boss")
    it_head = ContactFactory(account=account, name="IT head", reports_to=boss)
    ContactFactory(account=account, name="Buyer", reports_to=boss)
    _map(deal, it_head, org.rep1, role="technical_evaluator", influence="high", attitude="opponent")
    login(client, org.rep1)
    url = reverse("opportunities:decision-chain", args=[deal.pk])
    response = client.get(url)
    html = response.content.decode()
    assert html.count('data-testid="chain-node"') == 3
    assert html.index("Boss") < html.index("IT head")
    assert 'data-attitude="opponent" data-influence="high"' in html
    assert html.count("chain-unmapped") == 2  # the boss and the buyer are not in this purchase
    assert "No economic buyer is mapped" in html

    edit = client.get(url, {"contact": it_head.pk})
    assert edit.context["form"]["role"].value() == "technical_evaluator"
    response = client.post(
        url,
        {
            "contact": boss.pk,
            "role": "economic_buyer",
            "influence": "high",
            "attitude": "supporter",
            "relationship": "3",
            "note": "Signs everything above 1M",
        },
    )
    assert response.status_code == 302
    link = OpportunityContact.objects.get(opportunity=deal, contact=boss)
    assert (link.role, link.relationship) == ("economic_buyer", 3)
    html = client.get(url).content.decode()
    assert "No economic buyer is mapped" not in html
    assert "No champion or supporter" not in html

    client.post(reverse("opportunities:decision-chain-remove", args=[deal.pk, it_head.pk]))
    assert list(deal.decision_chain.values_list("contact__name", flat=True)) == ["Boss"]
    assert "Single-threaded" in client.get(detail(deal)).content.decode()


def test_decision_chain_refuses_people_of_another_account(org, client, deal):
    stranger = ContactFactory()
    login(client, org.rep1)
    response = client.post(
        reverse("opportunities:decision-chain", args=[deal.pk]),
        {
            "contact": stranger.pk,
            "role": "user",
            "influence": "low",
            "attitude": "neutral",
            "relationship": "0",
        },
    )
    assert response.status_code == 200
    assert not OpportunityContact.objects.exists()


# Competitors -----------------------------------------------------------------------------


def test_competitors_are_added_updated_and_removed(org, client, deal):
    login(client, org.rep1)
    url = reverse("opportunities:competitor-set", args=[deal.pk])
    client.post(url, {"name": "Rival Soft", "threat_level": "mid", "strengths": "Cheap"})
    client.post(url, {"name": "rival soft", "threat_level": "high", "strengths": "Cheap, local"})
    competitor = Competitor.objects.get()
    assert (competitor.threat_level, competitor.strengths) == ("high", "Cheap, local")
    client.post(reverse("opportunities:competitor-remove", args=[deal.pk, competitor.pk]))
    assert not Competitor.objects.exists()


# The account page and its plan ------------------------------------------------------------


def test_account_page_lists_its_visible_opportunities_open_first(org, client, account, make_deal):
    lost = make_deal()
    services.opportunity_close(opportunity=lost, by=org.rep1, status="lost", reason="price")
    Opportunity.objects.filter(pk=lost.pk).update(name="Old bid")
    open_deal = make_deal()
    other = make_deal(owner=org.rep2)
    login(client, org.rep1)
    response = client.get(reverse("accounts:detail", args=[account.pk]))
    html = response.content.decode()
    assert response.context["opportunities"] == [open_deal, lost]  # rep2's deal is not visible
    assert other not in response.context["opportunities"]
    assert f'href="{detail(open_deal)}"' in html
    assert f'href="{reverse("opportunities:create")}?account={account.pk}"' in html


def test_wish_list_item_becomes_an_opportunity_with_one_click(org, client):
    account = account_services.account_create(
        by=org.rep1, owner_team=org.shanghai, name="Shanghai Harbour", owner=org.rep1
    )
    account = account_services.account_override_tier(
        account=account, by=org.manager_shanghai, tier=Tier.A, reason="Framework agreement"
    )
    plan = account_services.account_plan_create(
        account=account,
        by=org.rep1,
        year=TODAY.year,
        revenue_objective=Decimal("5000000"),
        gross_margin_objective_pct=Decimal("30"),
    )
    item = account_services.wish_item_create(
        plan=plan,
        by=org.rep1,
        title="Warehouse automation",
        offering="WMS",
        estimated_amount=Decimal("1500000"),
        expected_quarter=4,
    )
    plan_url = reverse("accounts:plan-year", args=[account.pk, TODAY.year])
    login(client, org.rep1)
    assert 'data-testid="make-opportunity"' not in client.get(plan_url).content.decode()
    for user in (org.rep1, org.manager_east):
        account_services.wish_item_take_position(
            item=item, by=user, position=BidPosition.BID, note="Go"
        )
    assert 'data-testid="make-opportunity"' in client.get(plan_url).content.decode()

    response = client.post(reverse("opportunities:from-wish-item", args=[item.pk]))
    deal = Opportunity.objects.get()
    assert response.url == detail(deal)
    assert (deal.name, deal.amount, deal.source) == (
        "Warehouse automation",
        Decimal("1500000"),
        "account_plan",
    )
    html = client.get(plan_url).content.decode()
    assert 'data-testid="make-opportunity"' not in html
    assert f'href="{detail(deal)}"' in html

    response = client.post(reverse("opportunities:from-wish-item", args=[item.pk]))
    assert Opportunity.objects.count() == 1  # the second click changes nothing


# The agenda ------------------------------------------------------------------------------


def test_agenda_lists_open_next_steps_and_marks_them_done(org, client, deal):
    overdue = services.activity_log(
        opportunity=deal,
        by=org.rep1,
        kind="call",
        occurred_on=TODAY - datetime.timedelta(days=5),
        subject="Intro call",
        next_step="Send references",
        next_step_due=TODAY - datetime.timedelta(days=1),
    )
    services.activity_log(
        opportunity=deal,
        by=org.rep1,
        kind="visit",
        occurred_on=TODAY,
        subject="Site visit",
        next_step="Book the demo",
        next_step_due=TODAY + datetime.timedelta(days=7),
    )
    login(client, org.rep1)
    response = client.get(reverse("opportunities:agenda"))
    html = response.content.decode()
    assert 'data-testid="agenda-overdue"' in html and 'data-testid="agenda-upcoming"' in html
    assert html.index("Send references") < html.index("Book the demo")

    done = client.post(
        reverse("opportunities:next-step-done", args=[overdue.pk]), HTTP_HX_REQUEST="true"
    )
    assert done.status_code == 200
    assert b'data-testid="next-step-done"' in done.content
    overdue.refresh_from_db()
    assert overdue.next_step_done
    assert "Send references" not in client.get(reverse("opportunities:agenda")).content.decode()
    # Somebody else's next step is not theirs to close.
    assert (
        login(client, org.rep3)
        .post(reverse("opportunities:next-step-done", args=[overdue.pk]))
        .status_code
        == 404
    )


def test_navigation_has_the_agenda_for_all_and_gate_reviews_for_managers(org, client):
    html = login(client, org.rep1).get(reverse("opportunities:agenda")).content.decode()
    assert reverse("opportunities:agenda") in html
    assert reverse("opportunities:gates-pending") not in html
    html = login(client, org.manager_shanghai).get(reverse("opportunities:agenda")).content
    assert reverse("opportunities:gates-pending").encode() in html


def test_every_dialog_also_works_as_a_page_of_its_own(org, client, pipeline, big_deal):
    """Without JavaScript the dialogs are plain pages."""
    deal = big_deal
    login(client, org.manager_shanghai)
    for name, args in [
        ("edit", [deal.pk]),
        ("won", [deal.pk]),
        ("close", [deal.pk]),
        ("probability", [deal.pk]),
        ("change-stage", [deal.pk]),
        ("reassign", [deal.pk]),
        ("milestone-check", [deal.pk, pipeline.need.pk]),
        ("gate-request", [deal.pk, "ATB"]),
        ("decision-chain", [deal.pk]),
    ]:
        response = client.get(reverse(f"opportunities:{name}", args=args))
        assert response.status_code == 200, name
        assert 'data-testid="page-title"' in response.content.decode(), name
    services.opportunity_close(opportunity=deal, by=org.rep1, status="abandoned")
    assert client.get(reverse("opportunities:reopen", args=[deal.pk])).status_code == 200


def test_a_late_entry_is_flagged(org, client, make_deal):
    deal = make_deal(customer_stage="third")
    html = login(client, org.rep1).get(detail(deal)).content.decode()
    assert 'data-testid="flag-late-entry"' in html
    assert 'data-testid="flag-over-reporting"' not in html


def test_a_stage_task_is_ticked_and_unticked_on_the_deal(org, client, make_deal, pipeline):
    from opportunities.models import StageTask, TaskDone

    task = StageTask.objects.create(stage=pipeline.first, name_en="Send the capability deck")
    deal = make_deal()
    client.force_login(org.rep1)
    url = reverse("opportunities:task-done", args=[deal.pk, task.pk])
    response = client.post(url, {"done": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "text-decoration-line-through" in response.content.decode()
    assert TaskDone.objects.get(opportunity=deal, task=task).done_by == org.rep1
    page = client.get(reverse("opportunities:detail", args=[deal.pk])).content.decode()
    assert "bi-check-square-fill" in page
    client.post(url, {"done": "0"})
    assert not TaskDone.objects.filter(opportunity=deal).exists()
    client.force_login(org.rep2)
    assert client.post(url, {"done": "1"}).status_code == 404  # not their deal
    assert not TaskDone.objects.filter(opportunity=deal).exists()


def test_home_pages_show_the_pipeline_next_steps_and_gates_to_decide(
    org, client, make_deal, pipeline
):
    deal = make_deal(amount="2000000")
    today = timezone.localdate()
    services.activity_log(
        opportunity=deal,
        by=org.rep1,
        kind="call",
        occurred_on=today,
        subject="Budget call",
        next_step="Send the ROI model",
        next_step_due=today + datetime.timedelta(days=2),
    )
    client.force_login(org.rep1)
    page = client.get(reverse("home")).content.decode()
    assert "Send the ROI model" in page
    assert 'data-testid="open-deals">1<' in page
    services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep1, note="ok")
    deal = services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    deal = services.opportunity_update(
        opportunity=deal, by=org.rep1, version=deal.version, decision_criteria_known=True
    )
    services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)
    client.force_login(org.manager_shanghai)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-gates"' in page
    assert "MES rollout" in page
