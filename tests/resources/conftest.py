"""Presales people and requests for the resources tests.

Solutions (lead "presales") has engineer1 (40 h a week, 500 an hour) and engineer2 (20 h a
week, 800 an hour). Requests are made on rep1's deals and moved through their lifecycle by the
services, as people would."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from resources import services
from resources.choices import RequestStatus, RequestType, TechOutcome
from salesops.choices import Role
from tests.factories import EngineerProfileFactory, SkillFactory, UserFactory

S = RequestStatus


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@pytest.fixture
def presales(org):
    engineer2 = UserFactory(username="engineer2", role=Role.PRESALES_ENGINEER, team=org.solutions)
    return SimpleNamespace(
        engineer1=EngineerProfileFactory(user=org.engineer),
        engineer2=EngineerProfileFactory(
            user=engineer2,
            weekly_capacity_hours=Decimal("20.00"),
            cost_rate_per_hour=Decimal("800.00"),
        ),
        mes=SkillFactory(name="MES"),
        python=SkillFactory(name="Python"),
    )


@pytest.fixture
def deal(make_deal):
    return make_deal()


@pytest.fixture
def make_request(org, deal):
    """A draft on rep1's deal, wanted in the coming two weeks."""

    def make(*, opportunity=None, by=None, kind=RequestType.DEMO, hours="16", **fields):
        today = timezone.localdate()
        fields.setdefault("wanted_start", today + datetime.timedelta(days=7))
        fields.setdefault("wanted_end", today + datetime.timedelta(days=20))
        fields.setdefault("justification", "The customer's IT wants to see it run.")
        return services.request_create(
            by=by or org.rep1,
            opportunity=opportunity or deal,
            kind=kind,
            estimated_hours=Decimal(hours),
            **fields,
        )

    return make


@pytest.fixture
def bring_to(org, presales):
    """Move a request along the lifecycle to a status, each step by the person whose step it
    is; engineer1 is dispatched for 8 hours over the wanted window."""

    def line(request):
        return [(presales.engineer1, Decimal("8"), request.wanted_start, request.wanted_end)]

    steps = {
        S.SUBMITTED: lambda r: services.request_submit(request=r, by=org.rep1),
        S.APPROVED: lambda r: services.request_approve(request=r, by=org.lead),
        S.REJECTED: lambda r: services.request_reject(request=r, by=org.lead, reason="No fit"),
        S.DISPATCHED: lambda r: services.request_dispatch(
            request=r, by=org.lead, assignments=line(r)
        ),
        S.IN_PROGRESS: lambda r: services.request_start(request=r, by=org.engineer),
        S.DONE: lambda r: services.request_complete(request=r, by=org.engineer),
        S.EVALUATED: lambda r: services.request_evaluate(
            request=r, by=org.rep1, rating=4, tech_outcome=TechOutcome.TECH_WIN
        ),
        S.CANCELLED: lambda r: services.request_cancel(request=r, by=org.rep1, reason="Gone"),
    }
    paths = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.APPROVED: [S.SUBMITTED, S.APPROVED],
        S.REJECTED: [S.SUBMITTED, S.REJECTED],
        S.DISPATCHED: [S.SUBMITTED, S.APPROVED, S.DISPATCHED],
        S.IN_PROGRESS: [S.SUBMITTED, S.APPROVED, S.DISPATCHED, S.IN_PROGRESS],
        S.DONE: [S.SUBMITTED, S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.DONE],
        S.EVALUATED: [S.SUBMITTED, S.APPROVED, S.DISPATCHED, S.IN_PROGRESS, S.DONE, S.EVALUATED],
        S.CANCELLED: [S.SUBMITTED, S.CANCELLED],
    }

    def bring(request, status):
        for step in paths[status]:
            request = steps[step](request)
        assert request.status == status
        return request

    return bring
