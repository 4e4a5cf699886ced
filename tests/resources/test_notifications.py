"""E-mails after commit, from Celery tasks: a submission to the presales leads; approval,
rejection and dispatch to the requester (and the dispatched engineers); an evaluation or a
cancellation to the engineers. Each transition is announced once."""

from decimal import Decimal

import pytest
from django.core import mail

from resources import services, tasks
from resources.choices import RequestStatus, TechOutcome
from resources.exceptions import CapacityRefused
from resources.models import RequestTransition

S = RequestStatus


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service and what it schedules after commit, as a real request would."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def sent():
    return [(message.to, message.subject) for message in mail.outbox]


def test_a_submission_goes_to_the_presales_leads(org, make_request, committed):
    request = make_request()
    mail.outbox.clear()
    committed(services.request_submit, request=request, by=org.rep1)
    assert sent() == [
        (
            [org.lead.email],
            f"[SalesOps] Presales request #{request.pk} to approve: Demo for MES rollout",
        )
    ]
    assert "Priority: 37500.00" in mail.outbox[0].body


@pytest.mark.parametrize(
    "service, extra, word",
    [
        (services.request_approve, {}, "approved"),
        (services.request_reject, {"reason": "Not before the budget is known"}, "rejected"),
    ],
)
def test_a_decision_goes_to_the_requester(
    org, make_request, bring_to, committed, service, extra, word
):
    request = bring_to(make_request(), S.SUBMITTED)
    committed(service, request=request, by=org.lead, **extra)
    assert sent() == [
        (
            [org.rep1.email],
            f"[SalesOps] Presales request #{request.pk} is {word}: Demo for MES rollout",
        )
    ]
    if extra:
        assert extra["reason"] in mail.outbox[0].body


def test_a_dispatch_goes_to_the_requester_and_the_engineers(
    org, presales, make_request, bring_to, committed
):
    request = bring_to(make_request(), S.APPROVED)
    lines = [
        (presales.engineer1, Decimal(8), request.wanted_start, request.wanted_end),
        (presales.engineer2, Decimal(4), request.wanted_start, request.wanted_end),
    ]
    committed(services.request_dispatch, request=request, by=org.lead, assignments=lines)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [org.rep1.email, org.engineer.email, presales.engineer2.user.email]
    )
    assert f"Assigned: {org.engineer}, 8.00 hours" in mail.outbox[0].body


def test_an_evaluation_goes_to_the_engineers(org, make_request, bring_to, committed):
    request = bring_to(make_request(), S.DONE)
    committed(
        services.request_evaluate,
        request=request,
        by=org.rep1,
        rating=5,
        tech_outcome=TechOutcome.TECH_WIN,
        comment="The customer's CIO was convinced",
    )
    assert [message.to for message in mail.outbox] == [[org.engineer.email]]
    assert "Rating: 5/5, Technical win" in mail.outbox[0].body
    assert "The customer's CIO was convinced" in mail.outbox[0].body


def test_a_cancelled_dispatch_tells_the_engineers(org, make_request, bring_to, committed):
    request = bring_to(make_request(), S.DISPATCHED)
    committed(services.request_cancel, request=request, by=org.rep1, reason="Tender withdrawn")
    assert [message.to for message in mail.outbox] == [[org.engineer.email]]


def test_nothing_is_sent_for_a_refused_step_or_a_quiet_one(
    org, presales, make_request, bring_to, committed
):
    request = bring_to(make_request(), S.APPROVED)
    line = (presales.engineer1, Decimal(500), request.wanted_start, request.wanted_end)
    with pytest.raises(CapacityRefused):
        committed(services.request_dispatch, request=request, by=org.lead, assignments=[line])
    assert mail.outbox == []
    request = bring_to(make_request(), S.DISPATCHED)
    committed(services.request_start, request=request, by=org.engineer)
    assert mail.outbox == []


def test_no_mail_to_the_person_who_acted_or_without_an_address(org, make_request, committed):
    org.lead.email = ""
    org.lead.save()
    committed(services.request_submit, request=make_request(), by=org.rep1)
    assert mail.outbox == []


def test_each_transition_is_announced_once(org, make_request, committed):
    committed(services.request_submit, request=make_request(), by=org.rep1)
    step = RequestTransition.objects.get(to_status=S.SUBMITTED)
    assert step.notified_at is not None
    assert tasks.notify_transition.delay(transition_id=step.pk).get() == 0
    assert len(mail.outbox) == 1


def test_without_commit_nothing_is_sent(org, make_request):
    services.request_submit(request=make_request(), by=org.rep1)
    assert mail.outbox == []  # the test's transaction never commits
