"""The request lifecycle: draft → submitted → approved | rejected → dispatched → in_progress →
done → evaluated, cancelled from the open states; every step by the people whose step it is,
everything else refused with a clear message."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from opportunities import services as deal_services
from opportunities.models import GateRule
from resources import services
from resources.choices import RequestStatus, RequestType, TechOutcome
from resources.exceptions import ResourceRuleError, TransitionRefused
from resources.models import RequestTransition
from salesops.exceptions import Conflict, PermissionRefused

S = RequestStatus


def act(action, request, by, presales):
    if action == "submit":
        return services.request_submit(request=request, by=by, note="Please")
    if action == "approve":
        return services.request_approve(request=request, by=by, note="Worth it")
    if action == "reject":
        return services.request_reject(request=request, by=by, reason="Too early")
    if action == "dispatch":
        line = (presales.engineer1, Decimal("8"), request.wanted_start, request.wanted_end)
        return services.request_dispatch(request=request, by=by, assignments=[line])
    if action == "start":
        return services.request_start(request=request, by=by, note="On it")
    if action == "complete":
        return services.request_complete(request=request, by=by, note="Demo given")
    if action == "evaluate":
        return services.request_evaluate(
            request=request, by=by, rating=5, tech_outcome=TechOutcome.TECH_WIN, comment="Great"
        )
    return services.request_cancel(request=request, by=by, reason="The customer postponed")


TARGET = {
    "submit": S.SUBMITTED,
    "approve": S.APPROVED,
    "reject": S.REJECTED,
    "dispatch": S.DISPATCHED,
    "start": S.IN_PROGRESS,
    "complete": S.DONE,
    "evaluate": S.EVALUATED,
    "cancel": S.CANCELLED,
}
# Whose step each action is: the requester's side, a presales lead, an assigned engineer.
ACTOR = {
    "submit": "rep1",
    "cancel": "rep1",
    "evaluate": "rep1",
    "approve": "lead",
    "reject": "lead",
    "dispatch": "lead",
    "start": "engineer",
    "complete": "engineer",
}
ALLOWED = {
    (S.DRAFT, "submit"),
    (S.DRAFT, "cancel"),
    (S.SUBMITTED, "approve"),
    (S.SUBMITTED, "reject"),
    (S.SUBMITTED, "cancel"),
    (S.APPROVED, "dispatch"),
    (S.APPROVED, "cancel"),
    (S.DISPATCHED, "start"),
    (S.DISPATCHED, "cancel"),
    (S.IN_PROGRESS, "complete"),
    (S.IN_PROGRESS, "cancel"),
    (S.DONE, "evaluate"),
}
# Who may make each kind of step (the rest are refused): the requester's side is whoever
# works on the deal (rep1, the Shanghai manager, an admin).
MAY = {
    "rep1": {"submit", "cancel", "evaluate"},
    "manager_shanghai": {"submit", "cancel", "evaluate"},
    "admin": {"submit", "cancel", "evaluate", "approve", "reject", "dispatch"},
    "rep3": set(),
    "lead": {"approve", "reject", "dispatch"},
    "engineer": {"start", "complete"},
    "engineer2": set(),
}


def person(org, role):
    if role == "engineer2":
        from salesops.models import User

        return User.objects.get(username="engineer2")
    return getattr(org, role)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", list(TARGET))
def test_each_status_allows_only_its_transitions(
    org, presales, make_request, bring_to, status, action
):
    request = bring_to(make_request(), status)
    by = person(org, ACTOR[action])
    if (status, action) in ALLOWED:
        moved = act(action, request, by, presales)
        assert moved.status == TARGET[action]
        step = RequestTransition.objects.filter(request=moved).last()
        assert (step.from_status, step.to_status, step.by) == (status, TARGET[action], by)
        assert getattr(moved, services.REACHED_AT[TARGET[action]]) == step.at
        assert moved.version == request.version + 1
    else:
        with pytest.raises(TransitionRefused):
            act(action, request, by, presales)
        request.refresh_from_db()
        assert request.status == status


@pytest.mark.parametrize("status, action", sorted(ALLOWED))
@pytest.mark.parametrize("role", list(MAY))
def test_each_transition_is_made_only_by_its_actor(
    org, presales, make_request, bring_to, status, action, role
):
    request = bring_to(make_request(), status)
    by = person(org, role)
    if action in MAY[role]:
        assert act(action, request, by, presales).status == TARGET[action]
    else:
        with pytest.raises(PermissionRefused):
            act(action, request, by, presales)
        request.refresh_from_db()
        assert request.status == status


def test_an_illegal_transition_says_what_is_possible(org, make_request):
    request = make_request()
    with pytest.raises(TransitionRefused) as refused:
        services.request_approve(request=request, by=org.lead)
    assert refused.value.detail == "You cannot approve a request that is draft."
    assert refused.value.reasons == ["From draft a request can: submit, cancel."]


def test_a_closed_request_says_it_is_closed(org, make_request, bring_to):
    request = bring_to(make_request(), S.REJECTED)
    with pytest.raises(TransitionRefused) as refused:
        services.request_cancel(request=request, by=org.rep1, reason="Never mind")
    assert refused.value.reasons == ["A rejected request is closed."]


def test_a_refused_actor_is_told_who_may(org, make_request, bring_to):
    request = bring_to(make_request(), S.SUBMITTED)
    with pytest.raises(PermissionRefused) as refused:
        services.request_approve(request=request, by=org.rep1)
    assert str(refused.value) == "Only a presales lead can approve this request."


def test_available_transitions_are_the_buttons_a_user_gets(org, presales, make_request, bring_to):
    request = bring_to(make_request(), S.SUBMITTED)
    assert services.available_transitions(request=request, user=org.lead) == [
        S.APPROVED,
        S.REJECTED,
    ]
    assert services.available_transitions(request=request, user=org.rep1) == [S.CANCELLED]
    assert services.available_transitions(request=request, user=org.engineer) == []


def test_the_history_keeps_every_step_with_its_note(org, make_request, bring_to):
    request = bring_to(make_request(), S.EVALUATED)
    steps = list(request.transitions.values_list("from_status", "to_status", "by__username"))
    assert steps == [
        ("", S.DRAFT, "rep1"),
        (S.DRAFT, S.SUBMITTED, "rep1"),
        (S.SUBMITTED, S.APPROVED, "presales"),
        (S.APPROVED, S.DISPATCHED, "presales"),
        (S.DISPATCHED, S.IN_PROGRESS, "engineer1"),
        (S.IN_PROGRESS, S.DONE, "engineer1"),
        (S.DONE, S.EVALUATED, "rep1"),
    ]
    request.refresh_from_db()
    assert request.submitted_at <= request.approved_at <= request.dispatched_at
    assert request.started_at <= request.completed_at <= request.evaluated_at
    assert (request.rating, request.tech_outcome) == (4, TechOutcome.TECH_WIN)


def test_reject_and_cancel_keep_their_reason(org, make_request, bring_to):
    rejected = services.request_reject(
        request=bring_to(make_request(), S.SUBMITTED), by=org.lead, reason="  No fit  "
    )
    assert rejected.reject_reason == "No fit"
    assert rejected.transitions.last().note == "No fit"
    cancelled = services.request_cancel(
        request=bring_to(make_request(), S.APPROVED), by=org.rep1, reason="Postponed"
    )
    assert cancelled.cancel_reason == "Postponed"


def test_reject_needs_a_reason(org, make_request, bring_to):
    request = bring_to(make_request(), S.SUBMITTED)
    with pytest.raises(ResourceRuleError, match="Say why the request is rejected"):
        services.request_reject(request=request, by=org.lead, reason=" ")


def test_cancelling_a_draft_needs_no_reason_but_later_it_does(org, make_request, bring_to):
    assert services.request_cancel(request=make_request(), by=org.rep1).status == S.CANCELLED
    request = bring_to(make_request(), S.SUBMITTED)
    with pytest.raises(ResourceRuleError, match="Say why the request is cancelled"):
        services.request_cancel(request=request, by=org.rep1)


@pytest.mark.parametrize(
    "rating, outcome", [(0, TechOutcome.TECH_WIN), (6, TechOutcome.TECH_WIN), (3, "maybe")]
)
def test_evaluation_needs_a_rating_from_1_to_5_and_an_outcome(
    org, make_request, bring_to, rating, outcome
):
    request = bring_to(make_request(), S.DONE)
    with pytest.raises(ResourceRuleError, match="This evaluation is incomplete"):
        services.request_evaluate(request=request, by=org.rep1, rating=rating, tech_outcome=outcome)


def test_a_stale_version_is_a_conflict(org, make_request):
    request = make_request()
    services.request_update(request=request, by=org.rep1, version=1, estimated_hours=Decimal(8))
    with pytest.raises(Conflict):
        services.request_submit(request=request, by=org.rep1, version=1)


def test_only_a_draft_is_edited_and_by_the_deal_side(org, presales, make_request, bring_to):
    request = make_request()
    updated = services.request_update(
        request=request,
        by=org.rep1,
        version=request.version,
        kind=RequestType.PROOF_OF_CONCEPT,
        skills=[presales.mes],
    )
    assert (updated.kind, list(updated.skills.all())) == (
        RequestType.PROOF_OF_CONCEPT,
        [presales.mes],
    )
    with pytest.raises(PermissionRefused):
        services.request_update(request=request, by=org.rep3, version=updated.version)
    with pytest.raises(ResourceRuleError, match="cannot be set"):
        services.request_update(
            request=request, by=org.rep1, version=updated.version, status="done"
        )
    submitted = bring_to(updated, S.SUBMITTED)
    with pytest.raises(ResourceRuleError, match="Only a draft can be changed"):
        services.request_update(
            request=submitted, by=org.rep1, version=submitted.version, estimated_hours=Decimal(4)
        )


def test_a_request_is_made_by_someone_who_works_on_the_deal(org, make_request):
    with pytest.raises(PermissionRefused):
        make_request(by=org.rep3)
    assert make_request(by=org.manager_shanghai).requester == org.manager_shanghai


def test_the_wanted_end_cannot_come_before_the_start(make_request):
    from django.core.exceptions import ValidationError

    today = timezone.localdate()
    with pytest.raises(ValidationError):
        make_request(wanted_start=today, wanted_end=today - datetime.timedelta(days=1))


def test_no_support_is_asked_for_a_closed_deal(org, deal, make_request):
    request = make_request()
    deal_services.opportunity_close(opportunity=deal, by=org.rep1, status="abandoned")
    with pytest.raises(ResourceRuleError, match="presales support goes to open deals"):
        services.request_submit(request=request, by=org.rep1)
    with pytest.raises(ResourceRuleError, match="presales support goes to open deals"):
        make_request()


# ATI: beyond a standard technical exchange only after approve-to-invest ---------------------


@pytest.fixture
def ati(pipeline):
    return GateRule.objects.create(
        process=pipeline.process, kind="ATI", leaving_stage=pipeline.first, required_facts=[]
    )


def test_before_ati_only_a_technical_exchange_is_submitted(org, ati, make_request):
    demo = make_request(kind=RequestType.DEMO)  # a draft may be prepared
    with pytest.raises(ResourceRuleError) as refused:
        services.request_submit(request=demo, by=org.rep1)
    assert refused.value.reasons == [
        "Demo needs the ATI gate approved first; until then only a technical exchange can be "
        "requested."
    ]
    exchange = make_request(kind=RequestType.TECHNICAL_EXCHANGE)
    assert services.request_submit(request=exchange, by=org.rep1).status == S.SUBMITTED


def test_after_ati_every_type_is_submitted(org, ati, deal, make_request):
    gate = deal_services.gate_request(opportunity=deal, kind="ATI", by=org.rep1)
    deal_services.gate_decide(gate=gate, by=org.manager_shanghai, decision="approved")
    demo = make_request(kind=RequestType.PROOF_OF_CONCEPT)
    assert services.request_submit(request=demo, by=org.rep1).status == S.SUBMITTED


def test_ati_matters_only_where_the_gate_applies(org, ati, make_request):
    ati.min_amount = Decimal("1000000")  # the deal is 500,000: no ATI for it
    ati.save()
    demo = make_request(kind=RequestType.DEMO)
    assert services.request_submit(request=demo, by=org.rep1).status == S.SUBMITTED
