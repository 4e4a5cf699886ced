"""The presales dispatch pages: a rep asks for support from the deal page, the lead approves and
dispatches with the suggestions, the engineer starts, logs hours and completes, the requester
rates the support; refusals land on the forms; hidden requests answer 404."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from resources import services
from resources.choices import RequestStatus, RequestType, TechOutcome
from resources.models import Assignment, ResourceRequest, TimeEntry

S = RequestStatus
TODAY = timezone.localdate()

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def page(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def now_request(make_request):
    """A technical exchange (no ATI needed) wanted from today for two weeks."""

    def make(**fields):
        fields.setdefault("kind", RequestType.TECHNICAL_EXCHANGE)
        fields.setdefault("wanted_start", TODAY)
        fields.setdefault("wanted_end", TODAY + datetime.timedelta(days=13))
        return make_request(**fields)

    return make


def dispatch_data(engineer, hours, start, end, **extra):
    prefix = f"engineer-{engineer.pk}"
    return {
        f"{prefix}-pick": "on",
        f"{prefix}-hours": str(hours),
        f"{prefix}-start": start.isoformat(),
        f"{prefix}-end": end.isoformat(),
        **extra,
    }


def test_a_rep_requests_support_from_the_deal_page_and_submits(org, client, presales, deal):
    login(client, org.rep1)
    deal_page = page(client.get(reverse("opportunities:detail", args=[deal.pk])))
    create_url = f"{reverse('resources:create')}?opportunity={deal.pk}"
    assert 'data-testid="request-presales"' in deal_page
    assert create_url in deal_page

    form_page = client.get(create_url)
    assert form_page.status_code == 200
    assert form_page.context["form"]["opportunity"].value() == deal.pk

    response = client.post(
        create_url,
        {
            "opportunity": deal.pk,
            "kind": RequestType.TECHNICAL_EXCHANGE,
            "skills": [presales.mes.pk],
            "estimated_hours": "12",
            "wanted_start": TODAY.isoformat(),
            "wanted_end": (TODAY + datetime.timedelta(days=10)).isoformat(),
            "justification": "Their IT wants to talk architecture.",
        },
    )
    created = ResourceRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("resources:detail", args=[created.pk])
    assert created.status == S.DRAFT and list(created.skills.all()) == [presales.mes]

    detail = page(client.get(response.url))
    assert 'data-testid="request-submit"' in detail
    assert 'data-testid="priority-factor"' in detail
    response = client.post(
        reverse("resources:action", args=[created.pk, "submit"]), {"version": created.version}
    )
    created.refresh_from_db()
    assert response.status_code == 302 and created.status == S.SUBMITTED
    deal_page = page(client.get(reverse("opportunities:detail", args=[deal.pk])))
    assert f"#{created.pk}" in deal_page and 'data-status="submitted"' in deal_page


def test_the_request_form_refuses_an_end_before_the_start(org, client, deal):
    login(client, org.rep1)
    response = client.post(
        reverse("resources:create"),
        {
            "opportunity": deal.pk,
            "kind": RequestType.DEMO,
            "estimated_hours": "8",
            "wanted_start": TODAY.isoformat(),
            "wanted_end": (TODAY - datetime.timedelta(days=1)).isoformat(),
            "justification": "Demo",
        },
    )
    assert response.status_code == 200
    assert "The wanted end cannot be before the start." in page(response)
    assert not ResourceRequest.objects.exists()


def test_a_draft_is_edited_until_submitted(org, client, now_request):
    draft = now_request()
    login(client, org.rep1)
    response = client.post(
        reverse("resources:edit", args=[draft.pk]),
        {
            "kind": RequestType.TECHNICAL_EXCHANGE,
            "estimated_hours": "20",
            "wanted_start": draft.wanted_start.isoformat(),
            "wanted_end": draft.wanted_end.isoformat(),
            "justification": "More hours",
            "version": draft.version,
        },
    )
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.estimated_hours == Decimal("20")


def test_the_lead_approves_in_bulk_and_dispatches_to_the_suggested_engineer(
    org, client, presales, now_request, bring_to
):
    first = bring_to(now_request(hours="8"), S.SUBMITTED)
    second = bring_to(now_request(hours="4"), S.SUBMITTED)
    login(client, org.lead)
    queue = page(client.get(reverse("resources:queue")))
    assert queue.count('data-testid="queue-row"') == 2

    response = client.post(reverse("resources:queue-approve"), {"requests": [first.pk, second.pk]})
    assert response.status_code == 302
    assert set(ResourceRequest.objects.values_list("status", flat=True)) == {S.APPROVED}

    # The bigger deal goes first: dispatch the first in the queue.
    top = ResourceRequest.objects.order_by("-priority_score", "pk").first()
    form_page = client.get(reverse("resources:dispatch", args=[top.pk]))
    rows = form_page.context["rows"]
    assert rows[0]["suggestion"]["engineer"] == presales.engineer1
    assert 'data-testid="over-capacity-reason"' not in page(form_page)
    form = form_page.context["form"]
    assert form[f"engineer-{presales.engineer1.pk}-pick"].value() is True

    response = client.post(
        reverse("resources:dispatch", args=[top.pk]),
        dispatch_data(
            presales.engineer1,
            top.estimated_hours,
            top.wanted_start,
            top.wanted_end,
            version=top.version,
        ),
    )
    top.refresh_from_db()
    assert response.status_code == 302, page(response)
    assert top.status == S.DISPATCHED
    assignment = Assignment.objects.get(request=top)
    assert (assignment.engineer, assignment.planned_hours) == (
        presales.engineer1,
        top.estimated_hours,
    )


def test_the_lead_rejects_with_a_reason(org, client, presales, now_request, bring_to):
    submitted = bring_to(now_request(), S.SUBMITTED)
    login(client, org.lead)
    url = reverse("resources:reject", args=[submitted.pk])
    response = client.post(url, {"reject-reason": ""})
    assert response.status_code == 400
    assert 'data-testid="reject-form"' in page(response)
    response = client.post(url, {"reject-reason": "No presales fit for this."})
    submitted.refresh_from_db()
    assert response.status_code == 302
    assert (submitted.status, submitted.reject_reason) == (S.REJECTED, "No presales fit for this.")


def test_a_dispatch_beyond_capacity_asks_for_the_reason_then_books(
    org, client, presales, now_request, bring_to
):
    approved = bring_to(now_request(hours="200"), S.APPROVED)
    login(client, org.lead)
    url = reverse("resources:dispatch", args=[approved.pk])
    data = dispatch_data(presales.engineer2, "200", approved.wanted_start, approved.wanted_end)

    refused = client.post(url, data)
    html = page(refused)
    assert refused.status_code == 400
    assert "Beyond free capacity: give the reason to book anyway." in html
    assert 'data-testid="over-capacity-reason"' in html
    assert str(presales.engineer2) in html
    approved.refresh_from_db()
    assert approved.status == S.APPROVED and not Assignment.objects.exists()

    response = client.post(url, {**data, "over_capacity_reason": "Strategic account"})
    approved.refresh_from_db()
    assert response.status_code == 302
    assert approved.status == S.DISPATCHED
    booked = Assignment.objects.get()
    assert booked.is_over_capacity and booked.over_capacity_reason == "Strategic account"


def test_dispatching_ahead_of_a_higher_priority_asks_why(
    org, client, presales, make_deal, now_request, bring_to
):
    big = make_deal(amount="9000000")
    bring_to(now_request(opportunity=big), S.APPROVED)
    small = bring_to(now_request(), S.APPROVED)
    login(client, org.lead)
    url = reverse("resources:dispatch", args=[small.pk])
    data = dispatch_data(presales.engineer1, "4", small.wanted_start, small.wanted_end)
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert 'data-testid="out-of-order-reason"' in page(refused)
    response = client.post(url, {**data, "out_of_order_reason": "Demo date fixed by the CIO"})
    assert response.status_code == 302
    assert Assignment.objects.get().out_of_order_reason == "Demo date fixed by the CIO"


def test_a_dispatch_without_an_engineer_is_refused_on_the_form(
    org, client, presales, now_request, bring_to
):
    approved = bring_to(now_request(), S.APPROVED)
    login(client, org.lead)
    response = client.post(reverse("resources:dispatch", args=[approved.pk]), {})
    assert response.status_code == 400
    assert "Pick at least one engineer." in page(response)


def test_the_engineer_starts_logs_hours_and_completes(org, client, presales, now_request, bring_to):
    dispatched = bring_to(now_request(), S.DISPATCHED)
    login(client, org.engineer)
    listing = page(client.get(reverse("resources:assignments")))
    assert 'data-testid="assignment-start"' in listing
    assert 'data-testid="time-log-form"' not in listing

    client.post(reverse("resources:action", args=[dispatched.pk, "start"]), {"next": "assignments"})
    dispatched.refresh_from_db()
    assert dispatched.status == S.IN_PROGRESS
    assignment = Assignment.objects.get()
    url = reverse("resources:time-log", args=[assignment.pk])
    prefix = f"log-{assignment.pk}"

    bad = client.post(url, {f"{prefix}-date": TODAY.isoformat(), f"{prefix}-hours": "0"})
    assert bad.status_code == 400
    # The service's refusals land on their fields.
    assert bad.context["rows"][0]["log_form"].errors == {"hours": ["Log more than 0 hours."]}
    assert 'data-field="hours">Log more than 0 hours.' in page(bad)
    future = client.post(
        url,
        {
            f"{prefix}-date": (TODAY + datetime.timedelta(days=2)).isoformat(),
            f"{prefix}-hours": "30",
        },
    )
    assert future.context["rows"][0]["log_form"].errors == {
        "hours": ["A day has 24 hours."],
        "date": ["Hours cannot be logged for a day in the future."],
    }
    assert not TimeEntry.objects.exists()

    good = client.post(url, {f"{prefix}-date": TODAY.isoformat(), f"{prefix}-hours": "3.5"})
    assert good.status_code == 302
    assert TimeEntry.objects.get().hours == Decimal("3.50")
    listing = page(client.get(reverse("resources:assignments")))
    assert "3.50 of 8.00 planned hours logged" in listing

    client.post(reverse("resources:action", args=[dispatched.pk, "complete"]))
    dispatched.refresh_from_db()
    assert dispatched.status == S.DONE
    detail = page(client.get(reverse("resources:detail", args=[dispatched.pk])))
    assert 'data-testid="logged-total">3.50<' in detail


def test_a_refused_transition_comes_back_as_a_message(org, client, presales, now_request):
    draft = now_request()
    login(client, org.lead)
    # A lead sees no draft that is not theirs.
    response = client.post(reverse("resources:action", args=[draft.pk, "approve"]))
    assert response.status_code == 404
    submitted = services.request_submit(request=draft, by=org.rep1)
    login(client, org.rep1)
    response = client.post(reverse("resources:action", args=[submitted.pk, "approve"]), follow=True)
    assert "Only a presales lead can approve this request." in page(response)
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_the_requester_rates_the_support(org, client, presales, now_request, bring_to):
    done = bring_to(now_request(), S.DONE)
    login(client, org.rep1)
    detail = page(client.get(reverse("resources:detail", args=[done.pk])))
    assert 'data-testid="evaluate-form"' in detail
    url = reverse("resources:evaluate", args=[done.pk])
    incomplete = client.post(url, {"tech_outcome": TechOutcome.TECH_WIN})
    assert incomplete.status_code == 400
    response = client.post(
        url, {"rating": "5", "tech_outcome": TechOutcome.TECH_WIN, "comment": "Saved the deal"}
    )
    done.refresh_from_db()
    assert response.status_code == 302
    assert (done.status, done.rating, done.tech_outcome) == (S.EVALUATED, 5, TechOutcome.TECH_WIN)


def test_hidden_requests_and_pages_answer_404_or_403(org, client, presales, now_request, bring_to):
    submitted = bring_to(now_request(), S.SUBMITTED)
    detail = reverse("resources:detail", args=[submitted.pk])
    login(client, org.rep3)  # another team's rep
    assert client.get(detail).status_code == 404
    assert client.get(reverse("resources:edit", args=[submitted.pk])).status_code == 404
    assert client.get(reverse("resources:queue")).status_code == 403
    login(client, org.engineer)  # not assigned yet
    assert client.get(detail).status_code == 404
    assert client.get(reverse("resources:dispatch", args=[submitted.pk])).status_code == 403
    login(client, org.manager_shanghai)  # the rep's manager sees the deal and the request
    assert client.get(detail).status_code == 200
    listing = page(client.get(reverse("resources:list")))
    assert f'data-request="{submitted.pk}"' in listing
    login(client, org.rep3)
    assert f'data-request="{submitted.pk}"' not in page(client.get(reverse("resources:list")))
    entry_url = reverse("resources:time-log", args=[999])
    login(client, org.engineer)
    assert client.post(entry_url, {}).status_code == 404


def test_the_home_page_shows_what_awaits_each_role(org, client, presales, now_request, bring_to):
    draft = now_request()
    to_approve = bring_to(now_request(), S.SUBMITTED)
    to_start = bring_to(now_request(), S.DISPATCHED)

    def group(user, key):
        login(client, user)
        groups = client.get(reverse("home")).context["presales_awaiting"]
        return [item.pk for item in next(g for g in groups if g["key"] == key)["items"]]

    assert group(org.rep1, "drafts") == [draft.pk]
    assert group(org.lead, "to_approve") == [to_approve.pk]
    assert group(org.engineer, "to_start") == [to_start.pk]
    login(client, org.engineer)
    assert 'data-testid="presales-awaiting"' in page(client.get(reverse("home")))


def test_the_home_card_queries_do_not_grow(
    org, client, presales, now_request, bring_to, django_assert_max_num_queries
):
    # A full card counts its items: compare two full cards.
    for _ in range(5):
        bring_to(now_request(), S.SUBMITTED)
    login(client, org.lead)
    client.get(reverse("home"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("home"))
    for _ in range(6):
        bring_to(now_request(), S.SUBMITTED)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("home"))


def test_the_navigation_shows_presales_entries_by_role(org, client, presales):
    def nav(user):
        login(client, user)
        return [item["url"] for item in client.get(reverse("home")).context["nav_items"]]

    assert reverse("resources:list") in nav(org.rep1)
    assert reverse("resources:queue") in nav(org.lead)
    assert reverse("resources:assignments") in nav(org.engineer)
    assert reverse("resources:queue") not in nav(org.rep1)


def test_the_load_calendar_and_reports_render_for_a_lead(
    org, client, presales, now_request, bring_to
):
    bring_to(now_request(hours="200"), S.APPROVED)
    approved = ResourceRequest.objects.get()
    services.request_dispatch(
        request=approved,
        by=org.lead,
        assignments=[(presales.engineer2, Decimal("60"), TODAY, TODAY + datetime.timedelta(6))],
        over_capacity_reason="Crunch",
    )
    login(client, org.lead)
    load = client.get(reverse("resources:load"))
    assert load.status_code == 200
    assert 'data-over="true"' in page(load)
    reports = client.get(reverse("resources:reports"))
    assert reports.status_code == 200
    assert str(presales.engineer2) in page(reports)
    login(client, org.rep1)
    assert client.get(reverse("resources:load")).status_code == 403
