"""The resources API: drafts and edits, every lifecycle action and its refusal by the wrong
person, visibility, dispatch beyond capacity, time entries, the approval queue, engineers and
their load, query counts and the schema."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from resources import services
from resources.choices import RequestStatus, RequestType, TechOutcome
from resources.models import Assignment

S = RequestStatus
ENGINEERS = "/api/v1/engineers/"
REQUESTS = "/api/v1/resource-requests/"
TIME_ENTRIES = "/api/v1/time-entries/"
TODAY = timezone.localdate()


def detail(base: str, pk, action: str = "") -> str:
    return f"{base}{pk}/{action + '/' if action else ''}"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def client_for(org):
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def draft(make_request, presales):
    return make_request()


def dispatch_payload(request, engineer, hours="8", **reasons):
    return {
        "assignments": [
            {
                "engineer": engineer.pk,
                "hours": hours,
                "start": request.wanted_start.isoformat(),
                "end": request.wanted_end.isoformat(),
            }
        ],
        **reasons,
    }


# Drafts


def test_a_rep_opens_a_draft_on_their_deal(org, client_for, deal, presales):
    response = client_for(org.rep1).post(
        REQUESTS,
        {
            "opportunity": deal.pk,
            "kind": RequestType.DEMO,
            "skills": [presales.mes.pk],
            "estimated_hours": "12",
            "wanted_start": (TODAY + datetime.timedelta(days=3)).isoformat(),
            "wanted_end": (TODAY + datetime.timedelta(days=10)).isoformat(),
            "justification": "The plant manager wants to see it.",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == S.DRAFT
    assert body["requester"]["id"] == org.rep1.pk
    assert [skill["name"] for skill in body["skills"]] == ["MES"]
    assert Decimal(body["priority_score"]) > 0
    assert body["available_actions"] == [S.SUBMITTED, S.CANCELLED]


def test_create_refuses_a_deal_the_rep_cannot_see_and_a_wanted_end_before_the_start(
    org, client_for, deal
):
    payload = {
        "opportunity": deal.pk,
        "kind": RequestType.DEMO,
        "estimated_hours": "8",
        "wanted_start": (TODAY + datetime.timedelta(days=10)).isoformat(),
        "wanted_end": (TODAY + datetime.timedelta(days=3)).isoformat(),
        "justification": "Why not.",
    }

    not_seen = client_for(org.rep4).post(REQUESTS, payload, format="json")
    backwards = client_for(org.rep1).post(REQUESTS, payload, format="json")

    assert not_seen.status_code == 400
    assert "opportunity" in not_seen.json()
    assert backwards.status_code == 400
    assert "wanted_end" in backwards.json()


def test_a_draft_is_edited_with_the_version_read(org, client_for, draft):
    client = client_for(org.rep1)
    url = detail(REQUESTS, draft.pk)

    edited = client.patch(url, {"estimated_hours": "20", "version": draft.version}, format="json")
    stale = client.patch(url, {"estimated_hours": "30", "version": draft.version}, format="json")
    unversioned = client.patch(url, {"estimated_hours": "30"}, format="json")

    assert edited.status_code == 200, edited.json()
    assert edited.json()["estimated_hours"] == "20.00"
    assert edited.json()["version"] == draft.version + 1
    assert stale.status_code == 409
    assert "detail" in stale.json()
    assert unversioned.status_code == 400
    assert "version" in unversioned.json()


def test_a_submitted_request_is_not_edited_any_more(org, client_for, draft, bring_to):
    submitted = bring_to(draft, S.SUBMITTED)

    response = client_for(org.rep1).patch(
        detail(REQUESTS, draft.pk),
        {"justification": "Changed my mind", "version": submitted.version},
        format="json",
    )

    assert response.status_code == 400
    assert "draft" in response.json()["detail"]


# The lifecycle, one action at a time

ACTIONS = [
    # action, from, payload, who may, reached, (who is refused or from where), refusal status
    ("submit", S.DRAFT, {}, "rep1", S.SUBMITTED, ("rep1", S.SUBMITTED), 400),
    ("approve", S.SUBMITTED, {}, "lead", S.APPROVED, ("rep1", S.SUBMITTED), 403),
    ("reject", S.SUBMITTED, {"reason": "No fit"}, "lead", S.REJECTED, ("rep1", S.SUBMITTED), 403),
    ("dispatch", S.APPROVED, None, "lead", S.DISPATCHED, ("lead", S.SUBMITTED), 400),
    ("start", S.DISPATCHED, {}, "engineer", S.IN_PROGRESS, ("lead", S.DISPATCHED), 403),
    ("complete", S.IN_PROGRESS, {}, "engineer", S.DONE, ("lead", S.IN_PROGRESS), 403),
    (
        "evaluate",
        S.DONE,
        {"rating": 5, "tech_outcome": TechOutcome.TECH_WIN, "comment": "Great demo"},
        "rep1",
        S.EVALUATED,
        ("engineer", S.DONE),
        403,
    ),
    ("cancel", S.SUBMITTED, {"reason": "Gone"}, "rep1", S.CANCELLED, ("lead", S.SUBMITTED), 403),
]


@pytest.mark.parametrize(
    "action, before, payload, actor, after, refused, refusal_status",
    ACTIONS,
    ids=[row[0] for row in ACTIONS],
)
def test_each_action_moves_the_request_and_the_wrong_person_is_refused(
    org,
    client_for,
    make_request,
    presales,
    bring_to,
    action,
    before,
    payload,
    actor,
    after,
    refused,
    refusal_status,
):
    people = {"rep1": org.rep1, "lead": org.lead, "engineer": org.engineer}
    request = bring_to(make_request(), before)
    if payload is None:
        payload = dispatch_payload(request, presales.engineer1)

    moved = client_for(people[actor]).post(
        detail(REQUESTS, request.pk, action), payload, format="json"
    )

    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == after
    assert moved.json()["transitions"][-1]["to_status"] == after

    refused_by, refused_from = refused
    other = bring_to(make_request(), refused_from)
    if action == "dispatch":
        payload = dispatch_payload(other, presales.engineer1)
    refusal = client_for(people[refused_by]).post(
        detail(REQUESTS, other.pk, action), payload, format="json"
    )

    assert refusal.status_code == refusal_status, refusal.json()
    assert refusal.json()["detail"]
    assert "reasons" in refusal.json()
    other.refresh_from_db()
    assert other.status == refused_from


def test_a_refused_transition_names_what_the_request_can_do(org, client_for, draft):
    response = client_for(org.rep1).post(detail(REQUESTS, draft.pk, "complete"))

    assert response.status_code == 400
    assert response.json()["reasons"] == ["From draft a request can: submit, cancel."]


def test_reject_and_cancel_past_the_draft_need_a_reason(org, client_for, draft, bring_to):
    bring_to(draft, S.SUBMITTED)

    rejected = client_for(org.lead).post(detail(REQUESTS, draft.pk, "reject"), {"reason": " "})
    cancelled = client_for(org.rep1).post(detail(REQUESTS, draft.pk, "cancel"), {})

    assert rejected.status_code == 400
    assert cancelled.status_code == 400
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED


def test_evaluate_refuses_a_rating_out_of_range_with_the_reasons(org, client_for, draft, bring_to):
    bring_to(draft, S.DONE)

    response = client_for(org.rep1).post(
        detail(REQUESTS, draft.pk, "evaluate"), {"rating": 9, "tech_outcome": "tech_win"}
    )

    assert response.status_code == 400
    assert response.json()["reasons"] == ["Rate the support from 1 to 5."]


# Dispatch and capacity


def test_dispatch_beyond_capacity_needs_the_leads_reason(
    org, client_for, draft, presales, bring_to
):
    approved = bring_to(draft, S.APPROVED)
    client = client_for(org.lead)
    url = detail(REQUESTS, draft.pk, "dispatch")

    refused = client.post(url, dispatch_payload(approved, presales.engineer2, "200"), format="json")
    booked = client.post(
        url,
        dispatch_payload(
            approved, presales.engineer2, "200", over_capacity_reason="The customer insists"
        ),
        format="json",
    )

    assert refused.status_code == 400, refused.json()
    assert "capacity" in refused.json()["detail"]
    assert len(refused.json()["reasons"]) == 1
    assert str(presales.engineer2) in refused.json()["reasons"][0]
    assert booked.status_code == 200, booked.json()
    assignment = booked.json()["assignments"][0]
    assert assignment["engineer"]["id"] == presales.engineer2.pk
    assert Decimal(assignment["over_capacity_hours"]) > 0
    assert assignment["over_capacity_reason"] == "The customer insists"


def test_dispatch_refuses_an_engineer_the_lead_cannot_see(org, client_for, draft, bring_to):
    from tests.factories import EngineerProfileFactory

    approved = bring_to(draft, S.APPROVED)
    stranger = EngineerProfileFactory()

    response = client_for(org.lead).post(
        detail(REQUESTS, draft.pk, "dispatch"),
        dispatch_payload(approved, stranger),
        format="json",
    )

    assert response.status_code == 400
    assert "assignments" in response.json()
    assert not Assignment.objects.exists()


def test_suggestions_rank_engineers_by_fit_and_free_hours(
    org, client_for, make_request, presales, bring_to
):
    draft = bring_to(make_request(skills=[presales.mes]), S.SUBMITTED)
    presales.engineer2.skill_levels.create(skill=presales.mes, level=5)
    presales.engineer1.skill_levels.create(skill=presales.mes, level=2)

    response = client_for(org.lead).get(detail(REQUESTS, draft.pk, "suggestions"))

    assert response.status_code == 200, response.json()
    rows = response.json()
    assert [row["engineer"]["id"] for row in rows] == [
        presales.engineer2.pk,
        presales.engineer1.pk,
    ]
    assert rows[0]["fit"] == "1.0000"
    assert rows[1]["fit"] == "0.4000"
    assert rows[0]["has_room"] is True
    assert Decimal(rows[0]["free_hours"]) > 0


# Visibility


def test_a_rep_does_not_see_another_reps_request(org, client_for, draft, make_deal, make_request):
    rep2_deal = make_deal(owner=org.rep2)
    rep2_request = make_request(opportunity=rep2_deal, by=org.rep2)
    rep2 = client_for(org.rep2)

    assert ids(rep2.get(REQUESTS)) == [rep2_request.pk]
    assert rep2.get(detail(REQUESTS, draft.pk)).status_code == 404
    assert rep2.post(detail(REQUESTS, draft.pk, "submit")).status_code == 404
    manager_sees = set(ids(client_for(org.manager_shanghai).get(REQUESTS)))
    assert manager_sees == {draft.pk, rep2_request.pk}


def test_an_engineer_sees_only_the_requests_they_are_assigned_to(
    org, client_for, make_request, presales, bring_to
):
    assigned = bring_to(make_request(), S.DISPATCHED)
    bring_to(make_request(), S.APPROVED)
    make_request()

    assert ids(client_for(org.engineer).get(REQUESTS)) == [assigned.pk]
    assert ids(client_for(presales.engineer2.user).get(REQUESTS)) == []


def test_a_lead_does_not_see_drafts(org, client_for, draft, make_request, bring_to):
    submitted = bring_to(make_request(), S.SUBMITTED)

    assert ids(client_for(org.lead).get(REQUESTS)) == [submitted.pk]
    assert client_for(org.lead).get(detail(REQUESTS, draft.pk)).status_code == 404


# The approval queue and filters


def test_the_queue_lists_submitted_and_approved_requests_by_priority(
    org, client_for, make_deal, make_request, bring_to, presales
):
    small = bring_to(make_request(opportunity=make_deal(amount="100000")), S.SUBMITTED)
    big = bring_to(make_request(opportunity=make_deal(amount="5000000")), S.APPROVED)
    middle = bring_to(make_request(opportunity=make_deal(amount="800000")), S.SUBMITTED)
    bring_to(make_request(opportunity=make_deal(amount="9000000")), S.REJECTED)
    make_request(opportunity=make_deal(amount="7000000"))

    queue = client_for(org.lead).get(REQUESTS, {"queue": "true"})

    assert ids(queue) == [big.pk, middle.pk, small.pk]
    scores = [Decimal(row["priority_score"]) for row in queue.json()["results"]]
    assert scores == sorted(scores, reverse=True)
    assert ids(client_for(org.rep1).get(REQUESTS, {"queue": "true"})) == []


def test_requests_filter_by_status_type_priority_and_wanted_dates(
    org, client_for, make_deal, make_request, bring_to
):
    demo = make_request(opportunity=make_deal(amount="100000"), kind=RequestType.DEMO)
    poc = bring_to(
        make_request(
            opportunity=make_deal(amount="5000000"),
            kind=RequestType.PROOF_OF_CONCEPT,
            wanted_start=TODAY + datetime.timedelta(days=40),
            wanted_end=TODAY + datetime.timedelta(days=50),
        ),
        S.SUBMITTED,
    )
    client = client_for(org.rep1)
    middle = (demo.priority_score + poc.priority_score) / 2

    assert ids(client.get(REQUESTS, {"status": S.SUBMITTED})) == [poc.pk]
    assert ids(client.get(REQUESTS, {"kind": RequestType.DEMO})) == [demo.pk]
    assert ids(client.get(REQUESTS, {"priority_min": middle})) == [poc.pk]
    assert ids(client.get(REQUESTS, {"priority_max": middle})) == [demo.pk]
    later = (TODAY + datetime.timedelta(days=30)).isoformat()
    assert ids(client.get(REQUESTS, {"wanted_from": later})) == [poc.pk]
    assert ids(client.get(REQUESTS, {"wanted_until": later})) == [demo.pk]
    assert ids(client.get(REQUESTS, {"requester": org.rep2.pk})) == []


# Time entries


@pytest.fixture
def in_progress(make_request, bring_to):
    """engineer1 works on it since ten days ago."""
    request = make_request(
        wanted_start=TODAY - datetime.timedelta(days=10),
        wanted_end=TODAY + datetime.timedelta(days=10),
    )
    return bring_to(request, S.IN_PROGRESS)


def log(client, assignment, hours, date=TODAY - datetime.timedelta(days=1)):
    return client.post(
        TIME_ENTRIES,
        {"assignment": assignment.pk, "date": date.isoformat(), "hours": hours, "note": "Demo"},
    )


def test_an_engineer_logs_hours_with_the_cost_rate(org, client_for, in_progress, presales):
    assignment = in_progress.assignments.get()

    response = log(client_for(org.engineer), assignment, "6.5")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hours"] == "6.50"
    assert body["cost_rate"] == "500.00"
    assert body["cost"] == "3250.00"
    assert body["request"] == in_progress.pk
    assert body["engineer"]["id"] == presales.engineer1.pk


@pytest.mark.parametrize(
    "hours, days_ahead, errors",
    [
        ("-2", -1, {"hours": ["Log more than 0 hours."]}),
        ("25", -1, {"hours": ["A day has 24 hours."]}),
        ("4", 1, {"date": ["Hours cannot be logged for a day in the future."]}),
    ],
    ids=["negative", "over-24", "future"],
)
def test_time_entries_refuse_impossible_hours_with_field_messages(
    org, client_for, in_progress, hours, days_ahead, errors
):
    day = TODAY + datetime.timedelta(days=days_ahead)

    response = log(client_for(org.engineer), in_progress.assignments.get(), hours, day)

    assert response.status_code == 400
    assert response.json() == errors


def test_time_entries_refuse_more_than_24_hours_a_day_across_entries(org, client_for, in_progress):
    client, assignment = client_for(org.engineer), in_progress.assignments.get()
    yesterday = TODAY - datetime.timedelta(days=1)

    assert log(client, assignment, "20").status_code == 201
    response = log(client, assignment, "5")

    assert response.status_code == 400
    assert response.json() == {
        "hours": [f"20.00 hours are already logged on {yesterday}; a day has 24."]
    }


def test_an_engineer_corrects_and_removes_an_entry(org, client_for, in_progress, presales):
    client = client_for(org.engineer)
    entry = log(client, in_progress.assignments.get(), "6").json()
    url = detail(TIME_ENTRIES, entry["id"])

    corrected = client.patch(url, {"hours": "7.5", "note": "Longer demo"}, format="json")
    too_many = client.patch(url, {"hours": "26"}, format="json")
    future = client.patch(url, {"date": (TODAY + datetime.timedelta(days=1)).isoformat()})
    others = client_for(org.rep1).patch(url, {"hours": "1"}, format="json")

    assert corrected.status_code == 200, corrected.json()
    assert (corrected.json()["hours"], corrected.json()["note"]) == ("7.50", "Longer demo")
    assert corrected.json()["cost"] == "3750.00"
    assert (too_many.status_code, too_many.json()) == (400, {"hours": ["A day has 24 hours."]})
    assert future.status_code == 400
    assert future.json() == {"date": ["Hours cannot be logged for a day in the future."]}
    assert others.status_code == 403
    assert client_for(org.rep1).delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert ids(client.get(TIME_ENTRIES)) == []


def test_hours_are_logged_on_ones_own_assignments_only(org, client_for, in_progress, presales):
    response = log(client_for(presales.engineer2.user), in_progress.assignments.get(), "2")

    assert response.status_code == 400
    assert "assignment" in response.json()


def test_time_entries_are_seen_by_their_engineer_and_the_deals_side(
    org, client_for, in_progress, presales
):
    entry = services.time_log(
        assignment=in_progress.assignments.get(),
        by=org.engineer,
        date=TODAY - datetime.timedelta(days=1),
        hours=Decimal("3"),
    )

    assert ids(client_for(org.engineer).get(TIME_ENTRIES)) == [entry.pk]
    assert ids(client_for(org.rep1).get(TIME_ENTRIES)) == [entry.pk]
    assert ids(client_for(org.lead).get(TIME_ENTRIES)) == [entry.pk]
    assert ids(client_for(org.rep2).get(TIME_ENTRIES)) == []
    assert ids(client_for(presales.engineer2.user).get(TIME_ENTRIES)) == []
    engineer_filter = {"engineer": presales.engineer2.pk}
    assert ids(client_for(org.lead).get(TIME_ENTRIES, engineer_filter)) == []
    future = {"date_after": TODAY.isoformat()}
    assert ids(client_for(org.lead).get(TIME_ENTRIES, future)) == []


# Engineers


def test_engineers_with_skills_filtered_by_skill(org, client_for, presales):
    presales.engineer1.skill_levels.create(skill=presales.python, level=4)

    everyone = client_for(org.lead).get(ENGINEERS)
    pythonistas = client_for(org.lead).get(ENGINEERS, {"skill": presales.python.pk})

    assert ids(everyone) == [presales.engineer1.pk, presales.engineer2.pk]
    assert ids(pythonistas) == [presales.engineer1.pk]
    row = pythonistas.json()["results"][0]
    assert row["skills"] == [
        {"id": presales.python.pk, "name": "Python", "level": 4, "level_display": "4 · advanced"}
    ]
    assert row["team"]["name"] == "Solutions"
    assert row["weekly_capacity_hours"] == "40.00"
    assert ids(client_for(org.rep1).get(ENGINEERS)) == []
    assert ids(client_for(org.engineer).get(ENGINEERS)) == [presales.engineer1.pk]


def test_an_engineers_load_shows_booked_against_available_per_week(
    org, client_for, in_progress, presales
):
    client, url = client_for(org.lead), detail(ENGINEERS, presales.engineer1.pk, "load")

    response = client.get(url, {"weeks": 3})

    assert response.status_code == 200, response.json()
    weeks = response.json()["weeks"]
    assert len(weeks) == 3
    assert all(Decimal(week["available"]) == Decimal("40.00") for week in weeks)
    assert sum(Decimal(week["booked"]) for week in weeks) > 0
    assert client.get(url, {"weeks": 0}).status_code == 400


# Query counts and the schema


def test_request_list_query_count_does_not_grow(
    org, client_for, make_request, presales, bring_to, django_assert_max_num_queries
):
    def add_requests(count):
        for number in range(count):
            request = make_request(skills=[presales.mes, presales.python])
            if number % 3 == 0:
                bring_to(request, S.DISPATCHED)

    client = client_for(org.rep1)
    add_requests(3)
    with django_assert_max_num_queries(8) as few:
        assert client.get(REQUESTS).json()["count"] == 3
    add_requests(9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(REQUESTS).json()["count"] == 12


def test_schema_lists_the_resources_endpoints(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yaml")
    schema = (tmp_path / "api.yaml").read_text()
    for path in [
        "/api/v1/engineers/",
        "/api/v1/engineers/{id}/load/",
        "/api/v1/resource-requests/",
        "/api/v1/resource-requests/{id}/dispatch/",
        "/api/v1/resource-requests/{id}/evaluate/",
        "/api/v1/resource-requests/{id}/suggestions/",
        "/api/v1/time-entries/",
    ]:
        assert f"  {path}:" in schema
