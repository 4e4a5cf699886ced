"""The opportunities API: visibility, edits through the services (400/403/409), stage moves
and their refusals, milestones, gates, closing, stage history, activities, the decision chain,
processes, filters, ordering, query counts and the schema."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from opportunities import services
from opportunities.models import Activity, Gate, MilestoneCheck, Opportunity, StageChange
from tests.factories import ContactFactory

PROCESSES = "/api/v1/processes/"
DEALS = "/api/v1/opportunities/"
STAGE_CHANGES = "/api/v1/stage-changes/"
GATES = "/api/v1/gates/"
ACTIVITIES = "/api/v1/activities/"
TODAY = timezone.localdate()


def detail(base: str, pk, action: str = "") -> str:
    return f"{base}{pk}/{action + '/' if action else ''}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def check(deal, milestone, by, **evidence):
    evidence = evidence or {"note": "seen it"}
    return services.milestone_check(opportunity=deal, milestone=milestone, by=by, **evidence)


@pytest.fixture
def as_rep1(org):
    """rep1's own client, so that a test can act as a manager through api_client too."""
    client = APIClient()
    client.force_authenticate(org.rep1)
    return client


@pytest.fixture
def deal(make_deal):
    return make_deal()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# Visibility


def test_a_rep_does_not_see_another_reps_deal(org, api_client, deal):
    api_client.force_authenticate(org.rep2)  # same team, not the owner, not on the account team
    assert api_client.get(DEALS).json()["count"] == 0
    assert api_client.get(detail(DEALS, deal.pk)).status_code == 404
    refused = api_client.post(
        detail(DEALS, deal.pk, "advance"), {"to_stage": "second"}, format="json"
    )
    assert refused.status_code == 404


def test_managers_see_the_deals_of_the_teams_they_lead(org, api_client, deal):
    for manager, count in [
        (org.manager_shanghai, 1),
        (org.manager_east, 1),
        (org.manager_jiangsu, 0),
        (org.admin, 1),
    ]:
        api_client.force_authenticate(manager)
        assert api_client.get(DEALS).json()["count"] == count, manager
    api_client.force_authenticate(org.manager_shanghai)
    assert api_client.get(detail(DEALS, deal.pk)).json()["name"] == "MES rollout"


def test_the_api_needs_authentication(org, api_client, deal):
    for url in (DEALS, PROCESSES, STAGE_CHANGES, GATES, ACTIVITIES):
        assert api_client.get(url).status_code == 401


# Read shape


def test_a_deal_reads_with_its_stages_flags_and_qualification(org, as_rep1, make_deal, account):
    deal = make_deal(customer_stage="third", decision_criteria_known=True)
    body = as_rep1.get(detail(DEALS, deal.pk)).json()
    assert body["account"] == {"id": account.pk, "name": "Shanghai Auto Parts", "tier": "C"}
    assert body["owner"] == {"id": org.rep1.pk, "name": org.rep1.get_full_name()}
    assert body["team"] == {"id": org.shanghai.pk, "name": "Shanghai"}
    assert body["process"] == "test"
    assert body["stage"] == {"code": "first", "order": 1, "name": "Stage 1"}
    assert body["customer_stage"] == {"code": "third", "order": 3, "name": "Customer stage 3"}
    assert (body["probability"], body["weighted_amount"]) == (10, "50000.00")
    assert (body["is_late_entry"], body["is_over_reporting"]) == (True, False)
    assert (body["status"], body["days_in_stage"], body["version"]) == ("open", 0, 1)
    assert list(body["qualification"]) == [
        "metrics",
        "economic_buyer",
        "decision_criteria",
        "decision_process",
        "paper_process",
        "identified_pain",
        "champion",
        "competition",
    ]
    assert body["qualification"]["decision_criteria"] == {"known": True, "note": ""}
    assert body["lost_at_stage"] is None


# Create and edit


def test_create_opens_a_deal_in_the_first_stage(org, as_rep1, pipeline, account):
    response = as_rep1.post(
        DEALS,
        {
            "account": account.pk,
            "name": "  Plant   MES ",
            "amount": "800000",
            "expected_close_date": str(TODAY + datetime.timedelta(days=60)),
            "process": "test",
            "customer_stage": "second",
            "forecast_category": "best_case",
            "qualification": {"identified_pain": {"known": True, "note": "Scrap rate 4 %"}},
            "stage": "first",
            "status": "won",  # read-only: ignored
            "probability": 99,  # read-only: ignored
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["name"], body["stage"]["code"], body["customer_stage"]["code"]) == (
        "Plant MES",
        "first",
        "second",
    )
    assert (body["status"], body["probability"], body["owner"]["id"]) == ("open", 10, org.rep1.pk)
    assert body["qualification"]["identified_pain"] == {"known": True, "note": "Scrap rate 4 %"}
    deal = Opportunity.objects.get(pk=body["id"])
    assert (deal.forecast_category, deal.created_by) == ("best_case", org.rep1)
    assert deal.stage_changes.get().kind == "created"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"amount": "-1"}, "amount"),
        ({"expected_close_date": "soon"}, "expected_close_date"),
        ({"forecast_category": "certain"}, "forecast_category"),
        ({"process": "nope"}, "process"),
        ({"qualification": {"champion": {"known": "perhaps"}}}, "qualification"),
    ],
)
def test_bad_deal_payloads_get_a_field_message(org, as_rep1, pipeline, account, payload, field):
    data = {
        "account": account.pk,
        "name": "MES",
        "amount": "1000",
        "expected_close_date": str(TODAY),
        "process": "test",
        **payload,
    }
    response = as_rep1.post(DEALS, data, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Opportunity.objects.exists()


def test_create_refuses_hidden_accounts_and_unknown_stages(org, api_client, pipeline, account):
    beijing = account_services.account_create(
        by=org.rep4, owner_team=org.beijing, name="Beijing Grid"
    )
    api_client.force_authenticate(org.rep1)
    base = {"name": "MES", "amount": "1000", "expected_close_date": str(TODAY), "process": "test"}
    hidden = api_client.post(DEALS, {**base, "account": beijing.pk}, format="json")
    assert hidden.status_code == 400
    assert set(hidden.json()) == {"account"}
    unknown = api_client.post(
        DEALS, {**base, "account": account.pk, "stage": "design"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "design is not a stage of this opportunity's process."
    won = api_client.post(DEALS, {**base, "account": account.pk, "stage": "signed"}, format="json")
    assert won.json()["detail"] == "A new opportunity cannot start as won."
    assert not Opportunity.objects.exists()


def test_patch_edits_facts_and_keeps_stage_and_status_read_only(org, as_rep1, deal):
    response = as_rep1.patch(
        detail(DEALS, deal.pk),
        {
            "amount": "650000",
            "customer_stage": "second",
            "qualification": {"champion": {"known": True, "note": "CIO"}},
            "reason": "Second plant added",
            "stage": "third",
            "status": "won",
            "probability": 90,
            "version": 1,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["amount"], body["customer_stage"]["code"], body["version"]) == (
        "650000.00",
        "second",
        2,
    )
    assert (body["stage"]["code"], body["status"], body["probability"]) == ("first", "open", 10)
    assert body["qualification"]["champion"] == {"known": True, "note": "CIO"}
    assert body["is_over_reporting"] is False
    amount = deal.changes.get(field="amount")
    assert (amount.new_value, amount.reason) == ("650000.00", "Second plant added")


def test_stale_patch_is_a_409_and_changes_nothing(org, api_client, as_rep1, deal):
    assert (
        as_rep1.patch(detail(DEALS, deal.pk), {"amount": "1", "version": 1}, format="json")
    ).status_code == 200
    api_client.force_authenticate(org.manager_shanghai)
    stale = api_client.patch(detail(DEALS, deal.pk), {"amount": "2", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json() == {
        "detail": "Somebody else changed this opportunity meanwhile. Reload and try again.",
        "reasons": [],
    }
    deal.refresh_from_db()
    assert (deal.amount, deal.version) == (Decimal("1"), 2)


def test_patch_needs_a_version_and_deals_are_neither_replaced_nor_deleted(org, as_rep1, deal):
    url = detail(DEALS, deal.pk)
    assert set(as_rep1.patch(url, {"amount": "1"}, format="json").json()) == {"version"}
    moved = as_rep1.patch(url, {"owner": org.rep2.pk, "version": 1}, format="json")
    assert moved.json() == {"owner": ["Reassign the deal to change its owner."]}
    assert as_rep1.put(url, {"name": "X", "version": 1}, format="json").status_code == 405
    assert as_rep1.delete(url).status_code == 405
    assert Opportunity.objects.get().version == 1


def test_reassign_is_for_managers_and_moves_the_deal(org, api_client, as_rep1, deal):
    url = detail(DEALS, deal.pk, "reassign")
    payload = {"owner": org.rep2.pk, "reason": "Rep1 moves to key accounts", "version": 1}
    by_rep = as_rep1.post(url, payload, format="json")
    assert set(by_rep.json()) == {"owner"}  # a rep picks among the people they see: themselves
    assert as_rep1.post(url, {**payload, "owner": org.rep1.pk}, format="json").status_code == 403
    api_client.force_authenticate(org.manager_shanghai)
    response = api_client.post(url, payload, format="json")
    assert response.status_code == 200
    assert (response.json()["owner"]["id"], response.json()["version"]) == (org.rep2.pk, 2)


# Stage moves


def test_advance_answers_with_the_new_state(org, as_rep1, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    response = as_rep1.post(
        detail(DEALS, deal.pk, "advance"),
        {"to_stage": "second", "note": "Budget meeting booked", "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["stage"]["code"], body["version"], body["is_over_reporting"]) == (
        "second",
        2,
        True,
    )
    change = StageChange.objects.filter(opportunity=deal).first()
    assert (change.kind, change.note, change.changed_by) == (
        "advance",
        "Budget meeting booked",
        org.rep1,
    )


def test_advance_is_refused_with_the_missing_milestone(org, as_rep1, deal):
    response = as_rep1.post(
        detail(DEALS, deal.pk, "advance"), {"to_stage": "second"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The opportunity cannot move to Stage 2.",
        "reasons": ["Milestone not checked: Stage 1 – need"],
    }
    deal.refresh_from_db()
    assert (deal.stage.code, deal.version) == ("first", 1)


def test_skipping_needs_a_managers_override(org, api_client, as_rep1, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    check(deal, pipeline.budget, org.rep1, note="CFO approved the budget")
    url = detail(DEALS, deal.pk, "advance")
    refused = as_rep1.post(url, {"to_stage": "third"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["reasons"] == [
        "Skipping stages needs a manager's override with a reason."
    ]
    api_client.force_authenticate(org.manager_shanghai)
    skipped = api_client.post(
        url, {"to_stage": "third", "override_reason": "Tender published"}, format="json"
    )
    assert skipped.status_code == 200
    assert skipped.json()["stage"]["code"] == "third"


def test_advance_with_a_stale_version_is_a_409(org, as_rep1, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    response = as_rep1.post(
        detail(DEALS, deal.pk, "advance"), {"to_stage": "second", "version": 7}, format="json"
    )
    assert response.status_code == 409
    assert as_rep1.post(detail(DEALS, deal.pk, "advance"), {}, format="json").json() == {
        "to_stage": ["This field is required."]
    }


# Milestones


def test_milestones_checked_through_the_api_let_the_deal_advance(org, as_rep1, deal, pipeline):
    url = detail(DEALS, deal.pk, "milestones")
    path = as_rep1.get(url).json()
    assert [stage["stage"]["code"] for stage in path] == ["first", "second", "third", "signed"]
    assert path[0]["is_current"] and path[0]["is_customer"]
    assert [(m["code"], m["is_checked"]) for m in path[0]["milestones"]] == [
        ("need", False),
        ("nice", False),
    ]

    no_evidence = as_rep1.post(url, {"milestone": "need"}, format="json")
    assert no_evidence.status_code == 400
    assert no_evidence.json()["detail"] == (
        "Give some evidence: a note, a link, a file or an activity."
    )
    checked = as_rep1.post(
        url, {"milestone": "need", "note": "Scrap rate is their pain"}, format="json"
    )
    assert checked.status_code == 200, checked.json()
    need = checked.json()[0]["milestones"][0]
    assert (need["is_checked"], need["evidence_note"], need["checked_by"]["id"]) == (
        True,
        "Scrap rate is their pain",
        org.rep1.pk,
    )

    advanced = as_rep1.post(detail(DEALS, deal.pk, "advance"), {"to_stage": "second"})
    assert advanced.status_code == 200
    assert advanced.json()["stage"]["code"] == "second"


def test_milestone_evidence_file_is_uploaded_as_multipart(org, as_rep1, deal, pipeline):
    contract = SimpleUploadedFile("contract.pdf", b"%PDF-1.4 signed", "application/pdf")
    response = as_rep1.post(
        detail(DEALS, deal.pk, "milestones"),
        {"milestone": str(pipeline.contract.pk), "file": contract},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    entry = response.json()[2]["milestones"][0]
    assert entry["code"] == "contract"
    assert entry["evidence_file"].endswith(".pdf")
    assert MilestoneCheck.objects.get(milestone=pipeline.contract).evidence_file


def test_milestones_are_unchecked_and_unknown_ones_refused(org, as_rep1, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    url = detail(DEALS, deal.pk, "milestones")
    unchecked = as_rep1.post(
        url, {"milestone": "need", "checked": False, "note": "Pain not confirmed"}, format="json"
    )
    assert unchecked.status_code == 200
    assert unchecked.json()[0]["milestones"][0]["is_checked"] is False
    assert deal.milestone_events.first().checked is False
    unknown = as_rep1.post(url, {"milestone": "budget-2", "note": "x"}, format="json")
    assert unknown.json() == {"milestone": ["No such milestone in this deal's process."]}
    bad_link = as_rep1.post(url, {"milestone": "need", "link": "not a url"}, format="json")
    assert set(bad_link.json()) == {"link"}


# Gates


def test_gate_request_pending_approve_then_advance(org, api_client, as_rep1, make_deal, pipeline):
    deal = make_deal(amount="2000000")
    check(deal, pipeline.need, org.rep1)
    check(deal, pipeline.budget, org.rep1, note="Budget 2 M")
    as_rep1.post(detail(DEALS, deal.pk, "advance"), {"to_stage": "second"}, format="json")
    blocked = as_rep1.post(detail(DEALS, deal.pk, "advance"), {"to_stage": "third"})
    assert blocked.json()["reasons"] == [
        "Gate ATB · approve to bid must be approved before leaving Stage 2."
    ]

    gates_url = detail(DEALS, deal.pk, "gates")
    too_early = as_rep1.post(gates_url, {"kind": "ATB"}, format="json")
    assert too_early.status_code == 400
    assert too_early.json() == {
        "detail": "Before requesting ATB · approve to bid, find out:",
        "reasons": ["Decision criteria"],
    }
    as_rep1.patch(
        detail(DEALS, deal.pk),
        {"qualification": {"decision_criteria": {"known": True}}, "version": 2},
        format="json",
    )
    requested = as_rep1.post(gates_url, {"kind": "ATB", "note": "Tender next week"})
    assert requested.status_code == 201, requested.json()
    gate_id = requested.json()["id"]
    assert (requested.json()["status"], requested.json()["leaving_stage"]) == (
        "requested",
        "second",
    )
    assert as_rep1.get(GATES, {"pending": "true"}).json()["count"] == 0  # a rep decides none
    assert as_rep1.post(detail(GATES, gate_id, "approve"), {}).status_code == 403

    api_client.force_authenticate(org.manager_shanghai)
    pending = api_client.get(GATES, {"pending": "true"}).json()["results"]
    assert [(row["id"], row["opportunity_name"], row["amount"]) for row in pending] == [
        (gate_id, "MES rollout", "2000000.00")
    ]
    approved = api_client.post(
        detail(GATES, gate_id, "approve"), {"note": "Go", "conditions": "Margin ≥ 25 %"}
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]["id"]) == (
        "approved_with_conditions",
        org.manager_shanghai.pk,
    )
    assert api_client.get(GATES, {"pending": "true"}).json()["count"] == 0
    again = api_client.post(detail(GATES, gate_id, "reject"), {"note": "Changed my mind"})
    assert again.status_code == 409

    moved = as_rep1.post(detail(DEALS, deal.pk, "advance"), {"to_stage": "third"})
    assert moved.status_code == 200
    assert moved.json()["stage"]["code"] == "third"
    assert [row["status"] for row in as_rep1.get(gates_url).json()] == ["approved_with_conditions"]


def test_gates_are_scoped_and_rejected_with_a_reason(org, api_client, make_deal):
    deal = make_deal(amount="2000000", decision_criteria_known=True)
    gate = services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)
    api_client.force_authenticate(org.manager_jiangsu)
    assert api_client.get(GATES).json()["count"] == 0
    assert api_client.post(detail(GATES, gate.pk, "reject"), {"note": "No"}).status_code == 404
    api_client.force_authenticate(org.manager_east)
    assert api_client.get(GATES, {"status": "requested"}).json()["count"] == 1
    no_reason = api_client.post(detail(GATES, gate.pk, "reject"), {"note": " "})
    assert no_reason.json()["detail"] == "Say why the gate is rejected."
    rejected = api_client.post(detail(GATES, gate.pk, "reject"), {"note": "Margin too low"})
    assert rejected.json()["status"] == "rejected"
    assert Gate.objects.get().decision_note == "Margin too low"


# Close, reopen, probability


def test_closing_as_lost_needs_a_reason(org, api_client, as_rep1, deal):
    url = detail(DEALS, deal.pk, "close")
    no_reason = as_rep1.post(url, {"status": "lost"}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json() == {"detail": "Say why the deal was lost.", "reasons": []}
    assert set(as_rep1.post(url, {"status": "won"}, format="json").json()) == {"status"}
    lost = as_rep1.post(
        url, {"status": "lost", "reason": "price", "note": "10 % cheaper"}, format="json"
    )
    assert lost.status_code == 200
    body = lost.json()
    assert (body["status"], body["lost_reason"], body["probability"]) == ("lost", "price", 0)
    assert (body["lost_at_stage"]["code"], body["closed_on"]) == ("first", str(TODAY))

    reopen = detail(DEALS, deal.pk, "reopen")
    assert as_rep1.post(reopen, {"reason": "They called back"}).status_code == 403
    api_client.force_authenticate(org.manager_shanghai)
    reopened = api_client.post(reopen, {"reason": "They called back"}, format="json")
    assert (reopened.json()["status"], reopened.json()["probability"]) == ("open", 10)


def test_probability_is_set_by_managers_with_a_reason(org, api_client, as_rep1, deal):
    url = detail(DEALS, deal.pk, "probability")
    assert as_rep1.post(url, {"probability": 50, "reason": "x"}).status_code == 403
    api_client.force_authenticate(org.manager_shanghai)
    assert api_client.post(url, {"probability": 50}, format="json").status_code == 400
    assert set(api_client.post(url, {"probability": 150}, format="json").json()) == {"probability"}
    set_by_hand = api_client.post(
        url, {"probability": 50, "reason": "Sole supplier"}, format="json"
    )
    assert (set_by_hand.json()["probability"], set_by_hand.json()["probability_override"]) == (
        50,
        50,
    )
    cleared = api_client.post(url, {"probability": None}, format="json")
    assert (cleared.json()["probability"], cleared.json()["probability_override"]) == (10, None)


# Stage history


def test_stage_changes_are_read_only_scoped_and_filtered(org, api_client, as_rep1, deal, pipeline):
    check(deal, pipeline.need, org.rep1)
    services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1, note="Go")
    rows = as_rep1.get(STAGE_CHANGES).json()["results"]
    assert [(row["kind"], row["to_stage"]["code"]) for row in rows] == [
        ("advance", "second"),
        ("created", "first"),
    ]
    assert (rows[0]["from_stage"]["code"], rows[0]["changed_by"]["id"]) == ("first", org.rep1.pk)
    assert as_rep1.get(STAGE_CHANGES, {"kind": "advance"}).json()["count"] == 1
    assert as_rep1.get(STAGE_CHANGES, {"opportunity": deal.pk + 1}).json()["count"] == 0
    assert as_rep1.post(STAGE_CHANGES, {"opportunity": deal.pk}).status_code == 405
    assert as_rep1.delete(detail(STAGE_CHANGES, rows[0]["id"])).status_code == 405
    api_client.force_authenticate(org.rep2)
    assert api_client.get(STAGE_CHANGES).json()["count"] == 0
    assert api_client.get(detail(STAGE_CHANGES, rows[0]["id"])).status_code == 404


# Activities


def test_activities_are_logged_and_the_agenda_lists_open_next_steps(
    org, api_client, as_rep1, deal, account
):
    cio = ContactFactory(account=account, name="Wang Wei")
    response = as_rep1.post(
        ACTIVITIES,
        {
            "opportunity": deal.pk,
            "kind": "visit",
            "occurred_on": str(TODAY),
            "subject": "Plant tour",
            "contacts": [cio.pk],
            "next_step": "Send the proposal",
            "next_step_due": str(TODAY + datetime.timedelta(days=3)),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["contacts"], body["owner"]["id"]) == (
        [{"id": cio.pk, "name": "Wang Wei", "title": cio.title}],
        org.rep1.pk,
    )
    deal.refresh_from_db()
    assert deal.last_activity_on == TODAY
    services.activity_log(
        opportunity=deal,
        by=org.rep1,
        kind="call",
        occurred_on=TODAY,
        subject="Call the CIO",
        next_step="Book the demo",
        next_step_due=TODAY + datetime.timedelta(days=1),
    )
    services.activity_log(
        opportunity=deal, by=org.rep1, kind="email", occurred_on=TODAY, subject="X"
    )

    agenda = as_rep1.get(ACTIVITIES, {"mine": "true"}).json()["results"]
    assert [row["next_step"] for row in agenda] == ["Book the demo", "Send the proposal"]
    api_client.force_authenticate(org.manager_shanghai)
    assert api_client.get(ACTIVITIES).json()["count"] == 3
    assert api_client.get(ACTIVITIES, {"mine": "true"}).json()["count"] == 0

    done = as_rep1.post(detail(ACTIVITIES, agenda[0]["id"], "done"))
    assert (done.status_code, done.json()["next_step_done"]) == (200, True)
    assert [
        row["subject"] for row in as_rep1.get(ACTIVITIES, {"mine": "true"}).json()["results"]
    ] == ["Plant tour"]
    assert as_rep1.get(ACTIVITIES, {"kind": "email"}).json()["count"] == 1


def test_activity_input_is_checked(org, api_client, as_rep1, deal, account):
    other = account_services.account_create(by=org.rep1, owner_team=org.shanghai, name="Pudong")
    stranger = ContactFactory(account=other)
    base = {"opportunity": deal.pk, "kind": "call", "occurred_on": str(TODAY), "subject": "Call"}
    future = as_rep1.post(
        ACTIVITIES, {**base, "occurred_on": str(TODAY + datetime.timedelta(days=1))}
    )
    assert future.json() == {"occurred_on": ["An activity cannot be in the future."]}
    wrong_contact = as_rep1.post(ACTIVITIES, {**base, "contacts": [stranger.pk]}, format="json")
    assert wrong_contact.json()["detail"] == "Choose contacts of the opportunity's account."
    api_client.force_authenticate(org.rep2)
    hidden_deal = api_client.post(ACTIVITIES, base, format="json")
    assert set(hidden_deal.json()) == {"opportunity"}
    assert not Activity.objects.exists()


# Decision chain and competitors


def test_decision_chain_and_competitors(org, as_rep1, deal, account):
    cio = ContactFactory(account=account, name="Wang Wei", title="CIO")
    other = account_services.account_create(by=org.rep1, owner_team=org.shanghai, name="Pudong")
    stranger = ContactFactory(account=other)
    url = detail(DEALS, deal.pk, "decision-chain")
    placement = {"role": "economic_buyer", "influence": "high", "attitude": "supporter"}
    refused = as_rep1.post(url, {**placement, "contact": stranger.pk}, format="json")
    assert set(refused.json()) == {"contact"}
    chain = as_rep1.post(url, {**placement, "contact": cio.pk, "relationship": 3}, format="json")
    assert chain.status_code == 200, chain.json()
    assert [(row["contact_name"], row["role"], row["relationship"]) for row in chain.json()] == [
        ("Wang Wei", "economic_buyer", 3)
    ]
    changed = as_rep1.post(url, {**placement, "contact": cio.pk, "attitude": "champion"})
    assert [row["attitude"] for row in changed.json()] == ["champion"]
    assert as_rep1.delete(f"{url}{cio.pk}/").status_code == 204
    assert as_rep1.get(url).json() == []

    competitors = detail(DEALS, deal.pk, "competitors")
    added = as_rep1.post(competitors, {"name": "Siemens", "strengths": "Installed base"})
    assert [(row["name"], row["threat_level"]) for row in added.json()] == [("Siemens", "mid")]
    updated = as_rep1.post(competitors, {"name": "siemens", "threat_level": "high"})
    assert [(row["name"], row["threat_level"]) for row in updated.json()] == [("Siemens", "high")]
    assert as_rep1.delete(f"{competitors}{added.json()[0]['id']}/").status_code == 204
    assert as_rep1.get(competitors).json() == []


# Processes


def test_processes_read_in_the_request_language(org, api_client, pipeline):
    pipeline.first.name_zh = "第一阶段"
    pipeline.first.save()
    api_client.force_authenticate(org.rep1)
    body = api_client.get(detail(PROCESSES, "test"), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    first = body["stages"][0]
    assert (first["code"], first["name"], first["name_en"], first["name_zh"]) == (
        "first",
        "第一阶段",
        "Stage 1",
        "第一阶段",
    )
    assert [m["code"] for m in first["milestones"]] == ["need", "nice"]
    assert body["gate_rules"] == [
        {
            "kind": "ATB",
            "leaving_stage": "second",
            "min_amount": "1000000.00",
            "tiers": [],
            "required_facts": ["decision_criteria"],
            "is_active": True,
        }
    ]
    english = api_client.get(detail(PROCESSES, "test")).json()
    assert english["stages"][0]["name"] == "Stage 1"
    assert "test" in [row["code"] for row in api_client.get(PROCESSES).json()["results"]]
    assert api_client.post(PROCESSES, {"code": "x"}).status_code == 405


# Filters, ordering, query counts, schema


@pytest.fixture
def portfolio(org, pipeline, account):
    bank = account_services.account_create(by=org.rep1, owner_team=org.shanghai, name="Pudong Bank")
    account_services.account_override_tier(
        account=bank, by=org.manager_shanghai, tier="A", reason="Group deal"
    )

    def open_deal(name, amount, account, days):
        return services.opportunity_create(
            by=org.rep1,
            account=account,
            name=name,
            amount=Decimal(amount),
            expected_close_date=TODAY + datetime.timedelta(days=days),
            process=pipeline.process,
        )

    small = open_deal("Spare parts", "100000", account, days=30)
    mid = open_deal("MES rollout", "500000", account, days=90)
    big = open_deal("Core banking", "3000000", bank, days=200)
    check(mid, pipeline.need, org.rep1)
    services.opportunity_advance(opportunity=mid, to_stage="second", by=org.rep1)
    services.opportunity_close(opportunity=small, by=org.rep1, status="abandoned")
    return {"small": small, "mid": mid, "big": big}


def test_filters(portfolio, as_rep1):
    def found(**params):
        return sorted(names(as_rep1.get(DEALS, params)))

    assert found(stage="second") == ["MES rollout"]
    assert found(stage="first,second") == ["Core banking", "MES rollout", "Spare parts"]
    assert found(status="open") == ["Core banking", "MES rollout"]
    assert found(amount_min="200000", amount_max="1000000") == ["MES rollout"]
    assert found(close_after=str(TODAY + datetime.timedelta(days=100))) == ["Core banking"]
    assert found(close_before=str(TODAY + datetime.timedelta(days=100))) == [
        "MES rollout",
        "Spare parts",
    ]
    assert found(tier="A") == ["Core banking"]
    assert found(q="pudong") == ["Core banking"]
    assert found(q="spare") == ["Spare parts"]
    assert found(forecast_category="omitted") == ["Spare parts"]
    assert as_rep1.get(DEALS, {"status": "sold"}).status_code == 400


def test_ordering(portfolio, as_rep1):
    assert names(as_rep1.get(DEALS, {"ordering": "-amount"})) == [
        "Core banking",
        "MES rollout",
        "Spare parts",
    ]
    assert names(as_rep1.get(DEALS, {"ordering": "name"})) == [
        "Core banking",
        "MES rollout",
        "Spare parts",
    ]
    by_probability = names(as_rep1.get(DEALS, {"ordering": "probability,-amount"}))
    assert by_probability == ["Spare parts", "Core banking", "MES rollout"]
    assert names(as_rep1.get(DEALS))[-1] == "Core banking"  # by close date by default


def test_list_query_count_does_not_grow_with_deals(
    org, api_client, make_deal, account, django_assert_max_num_queries
):
    def add_deals(count):
        for number in range(count):
            deal = make_deal(owner=(org.rep1, org.rep2)[number % 2], customer_stage="second")
            if number % 3 == 0:
                services.opportunity_close(
                    opportunity=deal, by=deal.owner, status="lost", reason="price"
                )

    api_client.force_authenticate(org.manager_shanghai)
    add_deals(5)
    with django_assert_max_num_queries(4) as few:
        assert api_client.get(DEALS).json()["count"] == 5
    add_deals(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api_client.get(DEALS).json()["count"] == 25


def test_history_gate_and_activity_lists_query_count_does_not_grow(
    org, api_client, make_deal, account, django_assert_max_num_queries
):
    contacts = ContactFactory.create_batch(3, account=account)

    def add_work(count):
        for _ in range(count):
            deal = make_deal(amount="2000000", decision_criteria_known=True)
            services.gate_request(opportunity=deal, kind="ATB", by=org.rep1)
            services.activity_log(
                opportunity=deal,
                by=org.rep1,
                kind="visit",
                occurred_on=TODAY,
                subject="Visit",
                contacts=contacts,
            )

    api_client.force_authenticate(org.manager_shanghai)
    add_work(2)
    counts = {}
    for url in (STAGE_CHANGES, GATES, ACTIVITIES):
        with django_assert_max_num_queries(4) as few:
            assert api_client.get(url).json()["count"] == 2
        counts[url] = len(few.captured_queries)
    add_work(8)
    for url in (STAGE_CHANGES, GATES, ACTIVITIES):
        with django_assert_max_num_queries(counts[url]):
            assert api_client.get(url).json()["count"] == 10


def test_root_and_schema_list_the_opportunities_endpoints(org, api_client, client):
    api_client.force_authenticate(org.rep1)
    root = api_client.get("/api/v1/").json()
    assert {"processes", "opportunities", "stage-changes", "gates", "activities"} <= set(root)

    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert {
        "/api/v1/processes/",
        "/api/v1/processes/{code}/",
        "/api/v1/opportunities/",
        "/api/v1/opportunities/{id}/",
        "/api/v1/opportunities/{id}/advance/",
        "/api/v1/opportunities/{id}/close/",
        "/api/v1/opportunities/{id}/reopen/",
        "/api/v1/opportunities/{id}/probability/",
        "/api/v1/opportunities/{id}/reassign/",
        "/api/v1/opportunities/{id}/milestones/",
        "/api/v1/opportunities/{id}/decision-chain/",
        "/api/v1/opportunities/{id}/decision-chain/{contact_id}/",
        "/api/v1/opportunities/{id}/competitors/",
        "/api/v1/opportunities/{id}/competitors/{competitor_id}/",
        "/api/v1/opportunities/{id}/gates/",
        "/api/v1/stage-changes/",
        "/api/v1/stage-changes/{id}/",
        "/api/v1/gates/",
        "/api/v1/gates/{id}/",
        "/api/v1/gates/{id}/approve/",
        "/api/v1/gates/{id}/reject/",
        "/api/v1/activities/",
        "/api/v1/activities/{id}/",
        "/api/v1/activities/{id}/done/",
    } <= set(paths)
    assert set(paths["/api/v1/opportunities/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/opportunities/{id}/milestones/"]) == {"get", "post"}
    assert set(paths["/api/v1/stage-changes/"]) == {"get"}
    filters = {param["name"] for param in paths["/api/v1/opportunities/"]["get"]["parameters"]}
    assert {"stage", "status", "tier", "amount_min", "close_before", "q", "ordering"} <= filters
