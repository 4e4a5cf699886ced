"""Engineers log hours per assignment per day: more than 0, at most 24 a day across their
assignments, not in the future, not before the assignment starts; planned against actual."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from resources import selectors, services
from resources.choices import RequestStatus
from resources.exceptions import ResourceRuleError
from resources.models import TimeEntry
from salesops.exceptions import PermissionRefused

S = RequestStatus
TODAY = timezone.localdate()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


@pytest.fixture
def running(org, presales, make_request, bring_to):
    """A request in progress: engineer1 planned 16 h and engineer2 8 h from ten days ago."""

    def make():
        request = bring_to(make_request(wanted_start=ago(10), wanted_end=ago(-10)), S.APPROVED)
        request = services.request_dispatch(
            request=request,
            by=org.lead,
            assignments=[
                (presales.engineer1, Decimal("16"), ago(10), ago(-10)),
                (presales.engineer2, Decimal("8"), ago(10), ago(-10)),
            ],
            over_capacity_reason="Test data",
        )
        return services.request_start(request=request, by=org.engineer)

    return make


def assignment_of(request, engineer):
    return request.assignments.get(engineer=engineer)


def test_the_engineer_logs_hours_at_the_cost_rate_of_the_day(org, presales, running):
    mine = assignment_of(running(), presales.engineer1)
    entry = services.time_log(
        assignment=mine, by=org.engineer, date=ago(1), hours=Decimal("3.5"), note="Demo prep"
    )
    assert (entry.hours, entry.cost_rate, entry.logged_by) == (
        Decimal("3.5"),
        Decimal("500.00"),
        org.engineer,
    )
    presales.engineer1.cost_rate_per_hour = Decimal("600.00")
    presales.engineer1.save()
    later = services.time_log(assignment=mine, by=org.engineer, date=TODAY, hours=Decimal(2))
    assert later.cost_rate == Decimal("600.00")
    assert TimeEntry.objects.get(pk=entry.pk).cost_rate == Decimal("500.00")


@pytest.mark.parametrize(
    "hours, day, errors",
    [
        (Decimal(0), 1, {"hours": ["Log more than 0 hours."]}),
        (Decimal("-2"), 1, {"hours": ["Log more than 0 hours."]}),
        (Decimal("24.5"), 1, {"hours": ["A day has 24 hours."]}),
        (Decimal(2), -1, {"date": ["Hours cannot be logged for a day in the future."]}),
        (
            Decimal(2),
            11,
            {"date": [f"The assignment starts on {ago(10)}; log hours from that day on."]},
        ),
        (
            Decimal(-1),
            -1,
            {
                "hours": ["Log more than 0 hours."],
                "date": ["Hours cannot be logged for a day in the future."],
            },
        ),
    ],
)
def test_impossible_hours_are_refused_on_their_fields(org, presales, running, hours, day, errors):
    mine = assignment_of(running(), presales.engineer1)
    with pytest.raises(ValidationError) as refused:
        services.time_log(assignment=mine, by=org.engineer, date=ago(day), hours=hours)
    assert refused.value.message_dict == errors
    assert not TimeEntry.objects.exists()


def test_a_day_holds_24_hours_across_all_assignments(org, presales, running):
    first = assignment_of(running(), presales.engineer1)
    second = assignment_of(running(), presales.engineer1)
    services.time_log(assignment=first, by=org.engineer, date=ago(2), hours=Decimal(14))
    services.time_log(assignment=second, by=org.engineer, date=ago(2), hours=Decimal(10))
    with pytest.raises(ValidationError) as refused:
        services.time_log(assignment=second, by=org.engineer, date=ago(2), hours=Decimal("0.25"))
    assert refused.value.message_dict == {
        "hours": [f"24.00 hours are already logged on {ago(2)}; a day has 24."]
    }
    # Another engineer's hours on the same day are theirs.
    theirs = assignment_of(second.request, presales.engineer2)
    engineer2 = presales.engineer2.user
    assert services.time_log(assignment=theirs, by=engineer2, date=ago(2), hours=Decimal(8))


def test_an_entry_is_corrected_under_the_same_rules(org, presales, running):
    first = assignment_of(running(), presales.engineer1)
    second = assignment_of(running(), presales.engineer1)
    entry = services.time_log(assignment=first, by=org.engineer, date=ago(2), hours=Decimal(14))
    services.time_log(assignment=second, by=org.engineer, date=ago(2), hours=Decimal(6))

    # Its own 14 hours do not count against it: 18 + 6 fits the day.
    entry = services.time_entry_update(
        entry=entry, by=org.engineer, hours=Decimal(18), note=" Workshop "
    )
    assert (entry.hours, entry.note, entry.cost_rate) == (Decimal(18), "Workshop", Decimal(500))
    with pytest.raises(ValidationError) as refused:
        services.time_entry_update(entry=entry, by=org.engineer, hours=Decimal("18.25"))
    assert refused.value.message_dict == {
        "hours": [f"6.00 hours are already logged on {ago(2)}; a day has 24."]
    }
    for date, hours, errors in (
        (ago(-1), None, {"date": ["Hours cannot be logged for a day in the future."]}),
        (None, Decimal(-3), {"hours": ["Log more than 0 hours."]}),
        (None, Decimal(25), {"hours": ["A day has 24 hours."]}),
    ):
        with pytest.raises(ValidationError) as refused:
            services.time_entry_update(entry=entry, by=org.engineer, date=date, hours=hours)
        assert refused.value.message_dict == errors
    with pytest.raises(PermissionRefused):
        services.time_entry_update(entry=entry, by=presales.engineer2.user, hours=Decimal(1))
    # Moved to another day, it leaves the first one.
    moved = services.time_entry_update(entry=entry, by=org.engineer, date=ago(1))
    assert TimeEntry.objects.get(pk=moved.pk).date == ago(1)
    assert services.time_log(assignment=first, by=org.engineer, date=ago(2), hours=Decimal(18))


def test_only_the_assigned_engineer_logs(org, presales, running):
    request = running()
    mine = assignment_of(request, presales.engineer1)
    for other in (presales.engineer2.user, org.lead, org.rep1, org.admin):
        with pytest.raises(PermissionRefused):
            services.time_log(assignment=mine, by=other, date=ago(1), hours=Decimal(1))


@pytest.mark.parametrize("status, allowed", [(S.DISPATCHED, False), (S.DONE, True)])
def test_hours_are_logged_while_in_progress_or_done(
    org, presales, make_request, bring_to, status, allowed
):
    request = bring_to(make_request(wanted_start=ago(5), wanted_end=ago(-5)), status)
    mine = assignment_of(request, presales.engineer1)
    if allowed:
        assert services.time_log(assignment=mine, by=org.engineer, date=ago(1), hours=Decimal(1))
    else:
        with pytest.raises(ResourceRuleError, match="in progress or done"):
            services.time_log(assignment=mine, by=org.engineer, date=ago(1), hours=Decimal(1))


def test_no_hours_on_a_cancelled_request(org, presales, running):
    request = running()
    services.request_cancel(request=request, by=org.rep1, reason="Deal stopped")
    with pytest.raises(ResourceRuleError, match="in progress or done"):
        services.time_log(
            assignment=assignment_of(request, presales.engineer1),
            by=org.engineer,
            date=ago(1),
            hours=Decimal(1),
        )


def test_an_entry_is_removed_by_its_engineer(org, presales, running):
    mine = assignment_of(running(), presales.engineer1)
    entry = services.time_log(assignment=mine, by=org.engineer, date=ago(1), hours=Decimal(2))
    with pytest.raises(PermissionRefused):
        services.time_entry_delete(entry=entry, by=presales.engineer2.user)
    services.time_entry_delete(entry=entry, by=org.engineer)
    assert not TimeEntry.objects.exists()


def test_planned_against_actual_hours(org, presales, running):
    request = running()
    mine = assignment_of(request, presales.engineer1)
    services.time_log(assignment=mine, by=org.engineer, date=ago(3), hours=Decimal("6.5"))
    services.time_log(assignment=mine, by=org.engineer, date=ago(2), hours=Decimal("4"))
    hours = selectors.request_hours(request)
    assert (hours["estimated_hours"], hours["planned_hours"], hours["logged_hours"]) == (
        Decimal("16.00"),
        Decimal("24.00"),
        Decimal("10.50"),
    )
    assert hours["cost"] == Decimal("5250.00")
    assert [
        (row["engineer"], row["planned_hours"], row["logged_hours"], row["remaining_hours"])
        for row in hours["assignments"]
    ] == [
        (presales.engineer1, Decimal("16.00"), Decimal("10.50"), Decimal("5.50")),
        (presales.engineer2, Decimal("8.00"), Decimal(0), Decimal("8.00")),
    ]
    effort = selectors.opportunity_presales_effort(request.opportunity)
    assert effort == {"hours": Decimal("10.50"), "cost": Decimal("5250.00")}
