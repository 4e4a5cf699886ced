"""Priority from the deal's merit: amount × win probability × tier weight × stage urgency ×
deadline closeness, explained, kept current when the deal changes, and the order the approval
queue and dispatch follow."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import services as account_services
from opportunities import services as deal_services
from resources import selectors, services, tasks
from resources.choices import RequestStatus
from resources.exceptions import OutOfOrderRefused
from resources.models import DispatchPolicy, ResourceRequest

S = RequestStatus


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def test_the_score_multiplies_the_five_factors(make_request):
    # 500,000 × 10 % × tier C 0.60 × first stage 1.00 × deadline in 20 days ("soon") 1.25
    request = make_request(wanted_start=days(5), wanted_end=days(20))
    assert request.priority_score == Decimal("37500.00")
    explained = request.priority_explanation
    assert {key: explained[key] for key in ("amount", "probability", "tier", "tier_weight")} == {
        "amount": "500000.00",
        "probability": "0.10",
        "tier": "C",
        "tier_weight": "0.60",
    }
    assert (explained["stage_order"], explained["last_open_stage_order"]) == (1, 3)
    assert explained["stage_urgency"] == "1.00"
    assert (explained["deadline"], explained["deadline_source"]) == (
        days(20).isoformat(),
        "wanted_end",
    )
    assert (explained["days_left"], explained["deadline_band"]) == (20, "soon")
    assert explained["deadline_closeness"] == "1.25"
    assert explained["score"] == "37500.00"


def test_the_page_lists_the_factors_with_their_values(make_request):
    request = make_request(wanted_start=days(5), wanted_end=days(20))
    factors = selectors.priority_factors(request)
    assert [(row["factor"], row["value"]) for row in factors] == [
        ("amount", Decimal("500000.00")),
        ("probability", Decimal("0.10")),
        ("tier_weight", Decimal("0.60")),
        ("stage_urgency", Decimal("1.00")),
        ("deadline_closeness", Decimal("1.25")),
    ]
    product = Decimal(1)
    for row in factors:
        product *= row["value"]
    assert product == request.priority_score
    assert factors[1]["detail"] == "10 %"
    assert factors[4]["detail"] == f"{days(20).isoformat()} (wanted end), 20 days left"


@pytest.mark.parametrize(
    "wanted_end, closeness",
    [(-3, "1.50"), (7, "1.50"), (8, "1.25"), (30, "1.25"), (31, "1.00"), (90, "1.00")],
)
def test_deadline_closeness_follows_the_policy_bands(make_request, wanted_end, closeness):
    request = make_request(wanted_start=days(-10), wanted_end=days(wanted_end))
    assert request.priority_explanation["deadline_closeness"] == closeness


def test_the_deal_close_date_is_the_deadline_when_it_comes_first(org, deal, make_request):
    # The deal closes in 90 days; support wanted until day 120 is due by the close date.
    request = make_request(wanted_start=days(100), wanted_end=days(120))
    explained = request.priority_explanation
    assert (explained["deadline_source"], explained["days_left"]) == ("close_date", 90)
    assert explained["deadline_closeness"] == "1.00"


def test_later_stages_are_more_urgent_and_the_policy_is_data(org, deal, pipeline, make_request):
    policy = DispatchPolicy.current()
    policy.stage_urgency_span = Decimal("0.50")
    policy.save()
    deal_services.milestone_check(
        opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Pain confirmed"
    )
    deal = deal_services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    request = make_request(wanted_start=days(5), wanted_end=days(60))
    # Stage 2 of 1..3: 1 + 0.50 × ½
    assert request.priority_explanation["stage_urgency"] == "1.25"


def test_a_deal_change_recomputes_the_priority_of_its_open_requests(
    org, deal, pipeline, make_request, bring_to, django_capture_on_commit_callbacks
):
    open_request = bring_to(make_request(wanted_start=days(5), wanted_end=days(20)), S.APPROVED)
    closed_request = bring_to(make_request(wanted_start=days(5), wanted_end=days(20)), S.REJECTED)
    assert open_request.priority_score == Decimal("37500.00")
    deal_services.milestone_check(
        opportunity=deal, milestone=pipeline.need, by=org.rep1, note="Pain confirmed"
    )
    deal = deal_services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.opportunity_update(
            opportunity=deal,
            by=org.rep1,
            version=deal.version,
            amount=Decimal("800000"),
            customer_stage="second",
        )
    open_request.refresh_from_db()
    # 800,000 × 40 % × 0.60 × stage 2 of 1..3 (1.50) × 1.25
    assert open_request.priority_score == Decimal("360000.00")
    assert open_request.priority_explanation["probability"] == "0.40"
    closed_request.refresh_from_db()
    assert closed_request.priority_score == Decimal("37500.00")  # history stays as decided


def test_a_lost_deal_drops_its_requests_to_zero(
    org, deal, make_request, bring_to, django_capture_on_commit_callbacks
):
    request = bring_to(make_request(), S.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        deal_services.opportunity_close(
            opportunity=deal, by=org.rep1, status="lost", reason="price"
        )
    request.refresh_from_db()
    assert request.priority_score == Decimal("0.00")


def test_the_nightly_refresh_catches_tier_changes_and_is_idempotent(
    org, account, make_request, bring_to
):
    request = bring_to(make_request(wanted_start=days(5), wanted_end=days(20)), S.SUBMITTED)
    account_services.account_override_tier(
        account=account, by=org.manager_shanghai, tier="A", reason="Group headquarters"
    )
    assert tasks.refresh_priorities.delay().get() == 1
    request.refresh_from_db()
    assert request.priority_score == Decimal("93750.00")  # tier A weighs 1.50
    assert tasks.refresh_priorities.delay().get() == 0


def test_the_score_is_the_merit_of_the_deal_not_who_asks(org, make_request):
    by_rep = make_request(by=org.rep1)
    by_manager = make_request(by=org.manager_shanghai)
    assert by_rep.priority_score == by_manager.priority_score


# Order ---------------------------------------------------------------------------------------


@pytest.fixture
def three_deals(org, make_deal):
    return [make_deal(amount) for amount in ("300000", "900000", "600000")]


def test_the_approval_queue_is_ordered_by_priority(org, three_deals, make_request, bring_to):
    small, big, middle = (
        bring_to(make_request(opportunity=deal), S.SUBMITTED) for deal in three_deals
    )
    bring_to(make_request(opportunity=three_deals[1]), S.DISPATCHED)  # no longer waits
    make_request(opportunity=three_deals[1])  # a draft does not wait either
    big = services.request_approve(request=big, by=org.lead)
    assert list(selectors.approval_queue(org.lead)) == [big, middle, small]
    assert list(selectors.approval_queue(org.rep1)) == []


def line(presales, request):
    return [(presales.engineer1, Decimal("4"), request.wanted_start, request.wanted_end)]


def test_dispatching_out_of_order_needs_a_reason(
    org, presales, three_deals, make_request, bring_to
):
    small, big, middle = (
        bring_to(make_request(opportunity=deal), S.APPROVED) for deal in three_deals
    )
    with pytest.raises(OutOfOrderRefused) as refused:
        services.request_dispatch(request=small, by=org.lead, assignments=line(presales, small))
    assert refused.value.reasons == [
        f"#{big.pk} Demo · MES rollout: priority {big.priority_score}",
        f"#{middle.pk} Demo · MES rollout: priority {middle.priority_score}",
    ]
    assert ResourceRequest.objects.get(pk=small.pk).status == S.APPROVED
    dispatched = services.request_dispatch(
        request=small,
        by=org.lead,
        assignments=line(presales, small),
        out_of_order_reason="The customer's board meets on Monday",
    )
    assignment = dispatched.assignments.get()
    assert assignment.out_of_order_reason == "The customer's board meets on Monday"
    assert "The customer's board meets on Monday" in dispatched.transitions.last().note


def test_dispatching_in_order_needs_no_reason(org, presales, three_deals, make_request, bring_to):
    _small, big, middle = (
        bring_to(make_request(opportunity=deal), S.APPROVED) for deal in three_deals
    )
    big = services.request_dispatch(request=big, by=org.lead, assignments=line(presales, big))
    assert big.assignments.get().out_of_order_reason == ""
    # Submitted requests are not yet waiting for a dispatch: they do not count.
    bring_to(make_request(opportunity=three_deals[1]), S.SUBMITTED)
    middle = services.request_dispatch(
        request=middle, by=org.lead, assignments=line(presales, middle)
    )
    assert middle.status == S.DISPATCHED
