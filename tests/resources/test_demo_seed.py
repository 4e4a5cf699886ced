"""The demo presales requests of `seed_demo`: every status, consistent histories, time logs
within the rules, ratings on evaluated requests, nothing new on a second run.

The company is seeded once for the module (20 accounts) inside a transaction that is rolled
back at the end."""

import itertools
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from resources.choices import RequestStatus, TechOutcome
from resources.models import (
    Assignment,
    EngineerProfile,
    RequestTransition,
    ResourceRequest,
    TimeEntry,
)
from resources.services import REACHED_AT, TRANSITIONS

S = RequestStatus


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        output = StringIO()
        call_command("seed_demo", "--accounts", "20", stdout=output)
        yield output.getvalue()
        transaction.set_rollback(True)


def test_requests_exist_in_many_statuses(seeded, db):
    assert "Demo presales:" in seeded
    statuses = set(ResourceRequest.objects.values_list("status", flat=True))
    assert len(statuses) >= 6, statuses
    assert EngineerProfile.objects.count() == 10


def test_evaluated_requests_have_a_rating_and_an_outcome(seeded, db):
    evaluated = ResourceRequest.objects.filter(status=S.EVALUATED)
    assert evaluated.exists()
    for request in evaluated:
        assert 1 <= request.rating <= 5
        assert request.tech_outcome in TechOutcome.values
        assert request.evaluated_at >= request.completed_at
    assert not ResourceRequest.objects.exclude(status=S.EVALUATED).filter(rating__isnull=False)


def test_time_entries_fit_in_a_day_and_are_not_in_the_future(seeded, db):
    today = timezone.localdate()
    entries = TimeEntry.objects.select_related("assignment__request")
    assert entries.exists()
    for entry in entries:
        assert entry.date <= today
        assert Decimal(0) < entry.hours <= 24
        assert entry.date >= entry.assignment.start
        assert entry.assignment.request.started_at is not None
    per_day = TimeEntry.objects.values("assignment__engineer", "date").annotate(total=Sum("hours"))
    assert all(row["total"] <= 24 for row in per_day)


def test_transitions_chain_consistently(seeded, db):
    now = timezone.now()
    steps = defaultdict(list)
    for step in RequestTransition.objects.order_by("at", "pk"):
        steps[step.request_id].append(step)
    for request in ResourceRequest.objects.all():
        chain = steps[request.pk]
        assert chain[0].from_status == "" and chain[0].to_status == S.DRAFT
        assert chain[0].at == request.created_at and chain[0].by_id == request.requester_id
        for previous, step in itertools.pairwise(chain):
            assert step.from_status == previous.to_status
            assert step.to_status in TRANSITIONS[previous.to_status]
            assert previous.at <= step.at <= now
        assert chain[-1].to_status == request.status
        reached = {step.to_status: step.at for step in chain[1:]}
        for status, field in REACHED_AT.items():
            assert getattr(request, field) == reached.get(status), (request.pk, status)
        if request.status == S.CANCELLED and len(chain) > 2:
            assert request.cancel_reason
        if request.status == S.REJECTED:
            assert request.reject_reason
        has_assignments = Assignment.objects.filter(request=request).exists()
        assert has_assignments == (request.dispatched_at is not None)


def test_a_second_run_creates_nothing(seeded, db):
    counts = [
        model.objects.count()
        for model in (ResourceRequest, RequestTransition, Assignment, TimeEntry, EngineerProfile)
    ]
    output = StringIO()
    call_command("seed_demo", "--accounts", "20", stdout=output)
    assert "Demo presales" not in output.getvalue()
    assert counts == [
        model.objects.count()
        for model in (ResourceRequest, RequestTransition, Assignment, TimeEntry, EngineerProfile)
    ]
