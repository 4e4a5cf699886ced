"""Who sees which requests, deals and engineers, and what waits for whom."""

import pytest

from opportunities.selectors import opportunity_list_visible_to
from resources import selectors, services
from resources.choices import RequestStatus

S = RequestStatus


def visible(user):
    return set(selectors.request_list_visible_to(user))


@pytest.fixture
def draft(make_request):
    return make_request()


def test_the_deal_side_sees_requests_on_the_deals_it_sees(org, draft):
    for user in (org.rep1, org.manager_shanghai, org.manager_east, org.admin):
        assert visible(user) == {draft}, user
    for user in (org.rep2, org.rep3, org.manager_jiangsu, org.manager_north):
        assert visible(user) == set(), user


def test_a_lead_sees_requests_once_submitted(org, draft, bring_to):
    assert visible(org.lead) == set()
    assert not opportunity_list_visible_to(org.lead).filter(pk=draft.opportunity_id).exists()
    submitted = bring_to(draft, S.SUBMITTED)
    assert visible(org.lead) == {submitted}
    assert opportunity_list_visible_to(org.lead).filter(pk=draft.opportunity_id).exists()
    services.request_cancel(request=submitted, by=org.rep1, reason="Postponed")
    assert visible(org.lead) == {submitted}  # what was asked of them stays visible


def test_an_engineer_sees_what_they_are_assigned_to(org, presales, draft, bring_to):
    assert visible(org.engineer) == set()
    approved = bring_to(draft, S.APPROVED)
    assert visible(org.engineer) == set()
    assert not opportunity_list_visible_to(org.engineer).filter(pk=draft.opportunity_id).exists()
    line = (presales.engineer1, 8, approved.wanted_start, approved.wanted_end)
    dispatched = services.request_dispatch(request=approved, by=org.lead, assignments=[line])
    assert visible(org.engineer) == {dispatched}
    assert opportunity_list_visible_to(org.engineer).filter(pk=draft.opportunity_id).exists()
    assert visible(presales.engineer2.user) == set()
    other_deals = opportunity_list_visible_to(presales.engineer2.user)
    assert not other_deals.filter(pk=draft.opportunity_id).exists()


def test_a_requester_always_sees_their_own(org, make_deal, make_request):
    mine = make_request(by=org.manager_shanghai)
    assert mine in visible(org.manager_shanghai)


def test_inactive_users_see_nothing(org, draft):
    org.rep1.is_active = False
    org.rep1.save()
    assert visible(org.rep1) == set()


def test_engineers_are_visible_to_their_lead_and_themselves(org, presales):
    everyone = {presales.engineer1, presales.engineer2}
    assert set(selectors.engineer_list_visible_to(org.lead)) == everyone
    assert set(selectors.engineer_list_visible_to(org.admin)) == everyone
    assert set(selectors.engineer_list_visible_to(org.engineer)) == {presales.engineer1}
    assert set(selectors.engineer_list_visible_to(org.rep1)) == set()
    assert set(selectors.engineer_list_visible_to(org.manager_east)) == set()


def test_what_awaits_each_role(org, presales, make_request, bring_to):
    draft = make_request()
    submitted = bring_to(make_request(), S.SUBMITTED)
    approved = bring_to(make_request(), S.APPROVED)
    dispatched = bring_to(make_request(), S.DISPATCHED)
    running = bring_to(make_request(), S.IN_PROGRESS)
    done = bring_to(make_request(), S.DONE)
    bring_to(make_request(), S.EVALUATED)

    def waiting(user):
        return {key: list(value) for key, value in selectors.awaiting(user).items() if value}

    assert waiting(org.rep1) == {"drafts": [draft], "to_evaluate": [done]}
    assert waiting(org.lead) == {"to_approve": [submitted], "to_dispatch": [approved]}
    assert waiting(org.engineer) == {"to_start": [dispatched], "in_progress": [running]}
    assert waiting(presales.engineer2.user) == {}
    assert waiting(org.manager_shanghai) == {}
