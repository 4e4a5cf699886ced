"""Capacity: weekly capacity / 5 per working day, no weekends, no days off, minus the hours
already booked (pro-rated by working days); dispatch refuses over-booking unless the lead says
why, and the load view shows it."""

import datetime
from decimal import Decimal

import pytest

from resources import selectors, services
from resources.capacity import working_days
from resources.choices import RequestStatus
from resources.exceptions import CapacityRefused, ResourceRuleError
from resources.models import Assignment
from salesops.choices import Role, TeamKind
from salesops.exceptions import PermissionRefused
from tests.factories import (
    DayOffFactory,
    EngineerProfileFactory,
    EngineerSkillFactory,
    TeamFactory,
    UserFactory,
)

S = RequestStatus
# Monday 1 March 2027 to Sunday 14 March 2027: two working weeks.
MON_1, WED_3, SAT_6, SUN_7, MON_8, TUE_9, FRI_12, SUN_14 = (
    datetime.date(2027, 3, day) for day in (1, 3, 6, 7, 8, 9, 12, 14)
)
FRI_19 = datetime.date(2027, 3, 19)


def book(org, make_request, bring_to, engineer, hours, start, end, **reasons):
    request = bring_to(make_request(wanted_start=start, wanted_end=end), S.APPROVED)
    return services.request_dispatch(
        request=request,
        by=org.lead,
        assignments=[(engineer, Decimal(hours), start, end)],
        **reasons,
    )


def test_working_days_skip_weekends_and_days_off():
    assert working_days(MON_1, SUN_14) == 10
    assert working_days(SAT_6, SUN_7) == 0
    assert working_days(MON_1, SUN_14, {WED_3, SAT_6}) == 9  # a Saturday off changes nothing
    assert working_days(SUN_14, MON_1) == 0


def test_free_hours_are_capacity_per_working_day(presales):
    engineer = presales.engineer1  # 40 h a week: 8 a day
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("80.00")
    DayOffFactory(engineer=engineer, date=WED_3)
    DayOffFactory(engineer=engineer, date=SAT_6)
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("72.00")
    assert services.engineer_free_hours(presales.engineer2, MON_1, SUN_14) == Decimal("40.00")


def test_booked_hours_are_pro_rated_by_working_days(org, presales, make_request, bring_to):
    engineer = presales.engineer1
    # 20 hours over 8–19 March (10 working days): half of them fall in 1–14 March.
    book(org, make_request, bring_to, engineer, "20", MON_8, FRI_19)
    DayOffFactory(engineer=engineer, date=WED_3)
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("62.00")  # 72 - 10
    # A day off inside the booking spreads its hours over 9 days: 20 × 4/9 = 8.89 in 1–14 March.
    DayOffFactory(engineer=engineer, date=TUE_9)
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("55.11")  # 64 - 8.89


def test_a_weekend_booking_counts_by_calendar_days(org, presales, make_request, bring_to):
    book(
        org,
        make_request,
        bring_to,
        presales.engineer1,
        "6",
        SAT_6,
        SUN_7,
        over_capacity_reason="Trade fair demo on the weekend",
    )
    assert services.engineer_free_hours(presales.engineer1, SUN_7, SUN_7) == Decimal("-3.00")
    assert services.engineer_free_hours(presales.engineer1, MON_1, SUN_14) == Decimal("74.00")


def test_only_dispatched_and_running_requests_hold_capacity(org, presales, make_request, bring_to):
    engineer = presales.engineer1
    request = book(org, make_request, bring_to, engineer, "30", MON_1, FRI_12)
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("50.00")
    request = services.request_start(request=request, by=org.engineer)
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("50.00")
    services.request_cancel(request=request, by=org.rep1, reason="Customer froze the budget")
    assert services.engineer_free_hours(engineer, MON_1, SUN_14) == Decimal("80.00")


def test_dispatch_beyond_free_capacity_is_refused(org, presales, make_request, bring_to):
    request = bring_to(make_request(wanted_start=MON_1, wanted_end=SUN_7), S.APPROVED)
    lines = [
        (presales.engineer1, Decimal("50"), MON_1, SUN_7),
        (presales.engineer2, Decimal("10"), MON_1, SUN_7),
    ]
    with pytest.raises(CapacityRefused) as refused:
        services.request_dispatch(request=request, by=org.lead, assignments=lines)
    assert refused.value.reasons == [
        f"{org.engineer} has 40.00 free hours from 2027-03-01 to 2027-03-07; 50.00 asked."
    ]
    assert not Assignment.objects.exists()


def test_the_lead_books_beyond_capacity_with_a_reason(org, presales, make_request, bring_to):
    request = bring_to(make_request(wanted_start=MON_1, wanted_end=SUN_7), S.APPROVED)
    lines = [
        (presales.engineer1, Decimal("50"), MON_1, SUN_7),
        (presales.engineer2, Decimal("10"), MON_1, SUN_7),
    ]
    request = services.request_dispatch(
        request=request,
        by=org.lead,
        assignments=lines,
        over_capacity_reason="Tender deadline; overtime agreed",
    )
    over, within = request.assignments.order_by("engineer__user__username")
    assert (over.over_capacity_hours, over.over_capacity_reason) == (
        Decimal("10.00"),
        "Tender deadline; overtime agreed",
    )
    assert over.is_over_capacity
    assert (within.over_capacity_hours, within.over_capacity_reason) == (Decimal("0.00"), "")
    assert "Beyond capacity: Tender deadline; overtime agreed" in request.transitions.last().note


def test_nobody_is_double_booked_silently(org, presales, make_request, bring_to):
    engineer = presales.engineer1
    book(org, make_request, bring_to, engineer, "30", MON_1, SUN_7)
    with pytest.raises(CapacityRefused, match="give the reason to book anyway") as refused:
        book(org, make_request, bring_to, engineer, "30", MON_1, SUN_7)
    assert refused.value.reasons == [
        f"{org.engineer} has 10.00 free hours from 2027-03-01 to 2027-03-07; 30.00 asked."
    ]
    book(
        org,
        make_request,
        bring_to,
        engineer,
        "30",
        MON_1,
        SUN_7,
        over_capacity_reason="Both deals close this month",
    )
    load = selectors.engineer_load(team=org.solutions, weeks=2, start=MON_1)
    assert [(week["year"], week["week"]) for week in load["weeks"]] == [(2027, 9), (2027, 10)]
    row = next(row for row in load["engineers"] if row["engineer"] == engineer)
    first_week, second_week = row["weeks"]
    assert (first_week["available"], first_week["booked"], first_week["free"]) == (
        Decimal("40.00"),
        Decimal("60.00"),
        Decimal("-20.00"),
    )
    assert first_week["is_over"]
    assert (second_week["booked"], second_week["is_over"]) == (Decimal("0.00"), False)
    other = next(row for row in load["engineers"] if row["engineer"] == presales.engineer2)
    assert other["weeks"][0] == {
        "days_off": 0,
        "available": Decimal("20.00"),
        "booked": Decimal("0.00"),
        "free": Decimal("20.00"),
        "logged": Decimal("0.00"),
        "is_over": False,
    }


def test_the_load_view_spreads_a_booking_over_the_weeks(org, presales, make_request, bring_to):
    DayOffFactory(engineer=presales.engineer1, date=MON_8)
    # 18 hours over 1–12 March; 9 working days once 8 March is off: 10 in week 9, 8 in week 10.
    book(org, make_request, bring_to, presales.engineer1, "18", MON_1, FRI_12)
    load = selectors.engineer_load(team=org.centre, weeks=2, start=WED_3)
    row = next(row for row in load["engineers"] if row["engineer"] == presales.engineer1)
    assert [(week["available"], week["booked"]) for week in row["weeks"]] == [
        (Decimal("40.00"), Decimal("10.00")),
        (Decimal("32.00"), Decimal("8.00")),
    ]


def test_a_lead_dispatches_only_engineers_of_teams_they_lead(org, presales, make_request, bring_to):
    elsewhere = TeamFactory(name="Cloud Presales", kind=TeamKind.PRESALES)
    outsider = EngineerProfileFactory(
        user=UserFactory(username="cloud1", role=Role.PRESALES_ENGINEER, team=elsewhere)
    )
    request = bring_to(make_request(wanted_start=MON_1, wanted_end=SUN_7), S.APPROVED)
    line = [(outsider, Decimal("4"), MON_1, SUN_7)]
    with pytest.raises(ResourceRuleError) as refused:
        services.request_dispatch(request=request, by=org.lead, assignments=line)
    assert refused.value.reasons == [f"{outsider} is not in a team you lead."]
    assert services.request_dispatch(request=request, by=org.admin, assignments=line).status == (
        S.DISPATCHED
    )


def test_dispatch_lines_are_checked(org, presales, make_request, bring_to):
    request = bring_to(make_request(wanted_start=MON_1, wanted_end=SUN_7), S.APPROVED)
    presales.engineer2.is_active = False
    presales.engineer2.save()
    lines = [
        (presales.engineer1, Decimal("0"), SUN_7, MON_1),
        (presales.engineer1, Decimal("4"), MON_1, SUN_7),
        (presales.engineer2, Decimal("4"), MON_1, SUN_7),
    ]
    with pytest.raises(ResourceRuleError) as refused:
        services.request_dispatch(request=request, by=org.lead, assignments=lines)
    assert refused.value.reasons == [
        f"Plan more than 0 hours for {org.engineer}.",
        f"The end comes before the start for {org.engineer}.",
        f"{org.engineer} is listed twice.",
        f"{presales.engineer2} does not take assignments.",
    ]
    with pytest.raises(ResourceRuleError, match="Assign at least one engineer"):
        services.request_dispatch(request=request, by=org.lead, assignments=[])
    with pytest.raises(PermissionRefused):
        services.request_dispatch(request=request, by=org.rep1, assignments=lines[1:2])


def test_suggestions_rank_room_then_skill_fit_then_free_hours(
    org, presales, make_request, bring_to
):
    EngineerSkillFactory(engineer=presales.engineer1, skill=presales.mes, level=5)
    EngineerSkillFactory(engineer=presales.engineer2, skill=presales.mes, level=3)
    EngineerSkillFactory(engineer=presales.engineer2, skill=presales.python, level=4)
    unskilled = EngineerProfileFactory(
        user=UserFactory(username="engineer3", role=Role.PRESALES_ENGINEER, team=org.solutions)
    )
    request = make_request(
        wanted_start=MON_1, wanted_end=SUN_7, hours="16", skills=[presales.mes, presales.python]
    )
    suggestions = services.suggest_engineers(request, by=org.lead)
    # engineer2: (3 + 4) / 10 = 0.70; engineer1: (5 + 0) / 10 = 0.50; engineer3 has neither.
    assert [(row["engineer"], row["fit"], row["free_hours"]) for row in suggestions] == [
        (presales.engineer2, Decimal("0.7000"), Decimal("20.00")),
        (presales.engineer1, Decimal("0.5000"), Decimal("40.00")),
    ]
    assert suggestions[1]["missing"] == [presales.python]
    assert unskilled not in [row["engineer"] for row in suggestions]
    # With engineer2 booked full, the one who has room comes first.
    book(org, make_request, bring_to, presales.engineer2, "10", MON_1, SUN_7)
    suggestions = services.suggest_engineers(request, by=org.lead)
    assert [(row["engineer"], row["has_room"]) for row in suggestions] == [
        (presales.engineer1, True),
        (presales.engineer2, False),
    ]


def test_without_required_skills_everyone_fits_and_free_hours_decide(org, presales, make_request):
    request = make_request(wanted_start=MON_1, wanted_end=SUN_7, hours="8")
    suggestions = services.suggest_engineers(request)
    assert [(row["engineer"], row["fit"]) for row in suggestions] == [
        (presales.engineer1, Decimal("1.0000")),
        (presales.engineer2, Decimal("1.0000")),
    ]


def test_the_load_view_reads_in_a_fixed_number_of_queries(
    org, presales, make_request, bring_to, django_assert_num_queries
):
    for number in range(3):
        EngineerProfileFactory(
            user=UserFactory(
                username=f"extra{number}", role=Role.PRESALES_ENGINEER, team=org.solutions
            )
        )
    book(org, make_request, bring_to, presales.engineer1, "18", MON_1, FRI_12)
    DayOffFactory(engineer=presales.engineer2, date=MON_8)
    # engineers, bookings, days off, hours logged
    with django_assert_num_queries(4):
        load = selectors.engineer_load(team=org.centre, weeks=8, start=MON_1)
    assert len(load["engineers"]) == 5
