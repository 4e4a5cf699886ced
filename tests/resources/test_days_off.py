"""Days off: an engineer enters and removes their own, a presales lead those of the engineers
of the teams they lead; ranges keep their working days; backwards and overlapping ranges are
refused with a message; the load calendar takes them out of the available hours and shows
them."""

import datetime
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from resources import selectors, services
from resources.models import DayOff
from salesops.choices import Role
from salesops.exceptions import PermissionRefused
from tests.factories import UserFactory

from .conftest import monday

pytestmark = pytest.mark.django_db

# Monday of the week after next: a whole working week ahead.
MONDAY = monday(timezone.localdate()) + datetime.timedelta(weeks=2)


def day(offset: int) -> datetime.date:
    return MONDAY + datetime.timedelta(days=offset)


def page(response) -> str:
    return unescape(response.content.decode())


def test_a_range_keeps_its_working_days_with_the_reason(org, presales):
    added = services.days_off_add(
        engineer=presales.engineer1, by=org.engineer, start=day(3), end=day(8), reason=" Leave "
    )
    # Thursday to the next Tuesday: Thu, Fri, Mon, Tue.
    assert [(row.date, row.reason) for row in added] == [
        (day(3), "Leave"),
        (day(4), "Leave"),
        (day(7), "Leave"),
        (day(8), "Leave"),
    ]
    services.days_off_add(
        engineer=presales.engineer1, by=org.engineer, start=day(10), end=day(10), reason="Course"
    )
    assert selectors.day_off_ranges(presales.engineer1) == [
        {"start": day(3), "end": day(8), "days": 4, "reason": "Leave"},
        {"start": day(10), "end": day(10), "days": 1, "reason": "Course"},
    ]


@pytest.mark.parametrize(
    "start, end, errors",
    [
        (5, 4, {"end": ["The last day off cannot be before the first."]}),
        (5, 6, {"end": ["There is no working day (Monday to Friday) in this range."]}),
        (0, 400, {"end": ["Enter at most a year of days off at once."]}),
        (1, 3, {"__all__": [f"{{engineer}} is already off on {day(2)}; remove those days first."]}),
    ],
    ids=["backwards", "weekend", "too-long", "overlap"],
)
def test_impossible_ranges_are_refused_and_nothing_is_written(org, presales, start, end, errors):
    services.days_off_add(engineer=presales.engineer1, by=org.engineer, start=day(2), end=day(2))
    with pytest.raises(ValidationError) as refused:
        services.days_off_add(
            engineer=presales.engineer1, by=org.engineer, start=day(start), end=day(end)
        )
    expected = {
        field: [message.replace("{engineer}", str(presales.engineer1)) for message in messages]
        for field, messages in errors.items()
    }
    assert refused.value.message_dict == expected
    assert list(DayOff.objects.values_list("date", flat=True)) == [day(2)]


def test_who_keeps_whose_days_off(org, presales):
    other_lead = UserFactory(username="lead2", role=Role.PRESALES_LEAD)
    engineer2 = presales.engineer2.user
    services.days_off_add(engineer=presales.engineer2, by=org.lead, start=day(0), end=day(0))
    services.days_off_add(engineer=presales.engineer1, by=org.admin, start=day(1), end=day(1))
    for user in (engineer2, other_lead, org.rep1, org.manager_shanghai):
        with pytest.raises(PermissionRefused):
            services.days_off_add(engineer=presales.engineer1, by=user, start=day(2), end=day(2))
        with pytest.raises(PermissionRefused):
            services.days_off_remove(engineer=presales.engineer1, by=user, start=day(1), end=day(1))
    assert (
        services.days_off_remove(
            engineer=presales.engineer2, by=engineer2, start=day(0), end=day(4)
        )
        == 1
    )
    assert list(DayOff.objects.values_list("date", flat=True)) == [day(1)]


def test_the_engineer_enters_and_removes_days_off_on_their_page(org, client, presales):
    client.force_login(org.engineer)
    assignments = page(client.get(reverse("resources:assignments")))
    assert reverse("resources:my-days-off") in assignments
    mine = client.get(reverse("resources:my-days-off"))
    assert mine.status_code == 200
    assert mine.context["engineer"] == presales.engineer1
    url = reverse("resources:days-off", args=[presales.engineer1.pk])

    saved = client.post(url, {"start": day(0), "end": day(2), "reason": "Family"})
    assert saved.status_code == 302
    backwards = client.post(url, {"start": day(4), "end": day(3)})
    assert backwards.status_code == 400
    assert backwards.context["form"].errors == {
        "end": ["The last day off cannot be before the first."]
    }
    overlap = client.post(url, {"start": day(2), "end": day(4)})
    assert overlap.status_code == 400
    assert overlap.context["form"].non_field_errors() == [
        f"{presales.engineer1} is already off on {day(2)}; remove those days first."
    ]

    listing = page(client.get(url))
    assert (
        f'data-testid="day-off-range" data-start="{day(0)}" data-end="{day(2)}" data-days="3"'
        in listing
    )
    assert "Family" in listing
    removed = client.post(
        reverse("resources:days-off-remove", args=[presales.engineer1.pk]),
        {"start": day(0), "end": day(2)},
        follow=True,
    )
    assert "3 days off removed." in page(removed)
    assert not DayOff.objects.exists()


def test_only_people_who_keep_the_days_off_see_the_page(org, client, presales):
    url = reverse("resources:days-off", args=[presales.engineer1.pk])
    for offset, (user, allowed) in enumerate(
        (
            (org.engineer, True),
            (org.lead, True),
            (org.admin, True),
            (presales.engineer2.user, False),
            (org.rep1, False),
        )
    ):
        client.force_login(user)
        assert client.get(url).status_code == (200 if allowed else 404), user
        posted = client.post(url, {"start": day(offset), "end": day(offset)})
        assert posted.status_code == (302 if allowed else 404), user
    assert list(DayOff.objects.values_list("date", flat=True)) == [day(0), day(1), day(2)]
    # The rep has no engineer profile: no page of their own either.
    client.force_login(org.rep1)
    assert client.get(reverse("resources:my-days-off")).status_code == 404


def test_the_load_calendar_shows_days_off_and_links_to_them(org, client, presales):
    services.days_off_add(
        engineer=presales.engineer1, by=org.lead, start=day(1), end=day(2), reason="Training"
    )
    load = selectors.engineer_load(
        team=org.solutions, weeks=3, start=MONDAY - datetime.timedelta(weeks=2)
    )
    first = next(row for row in load["engineers"] if row["engineer"] == presales.engineer1)
    week = first["weeks"][2]
    assert (week["days_off"], week["available"]) == (2, Decimal("24.00"))
    assert [cell["days_off"] for cell in first["weeks"]] == [0, 0, 2]

    client.force_login(org.lead)
    response = page(client.get(reverse("resources:load")))
    assert reverse("resources:days-off", args=[presales.engineer1.pk]) in response
    assert 'data-available="24.00" data-booked="0.00" data-days-off="2"' in response
    assert "2 days off" in response
