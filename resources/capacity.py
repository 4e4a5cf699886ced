"""Capacity arithmetic, shared by dispatch (services) and the load view (selectors).

An engineer works Monday to Friday, `weekly_capacity_hours / 5` hours a day, except on their
days off. An assignment's planned hours are spread evenly over the engineer's working days in
its window, so the part of it that falls in a period is
`planned × working days in the overlap / working days in the window`. Hours are booked by the
assignments of dispatched and in-progress requests only: done, evaluated and cancelled requests
give their time back."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .choices import BOOKING_STATUSES
from .models import Assignment, DayOff, EngineerProfile

CENT = Decimal("0.01")
ZERO = Decimal(0)


def hours(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def working_days(
    start: datetime.date, end: datetime.date, days_off: Iterable[datetime.date] = ()
) -> int:
    """Monday-to-Friday days from start to end (both included) that are not days off."""
    if end < start:
        return 0
    full_weeks, extra = divmod((end - start).days + 1, 7)
    count = full_weeks * 5
    for offset in range(extra):
        if (start + datetime.timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count - sum(1 for day in days_off if start <= day <= end and day.weekday() < 5)


@dataclass(frozen=True)
class Booking:
    engineer_id: int
    request_id: int
    planned_hours: Decimal
    start: datetime.date
    end: datetime.date


class Calendar:
    """The bookings and days off of some engineers around a period, read in two queries, to
    answer available, booked and free hours for any part of that period."""

    def __init__(
        self,
        engineers: Iterable[EngineerProfile],
        start: datetime.date,
        end: datetime.date,
        *,
        exclude_request_id: int | None = None,
    ):
        self.engineers = {engineer.pk: engineer for engineer in engineers}
        self.start, self.end = start, end
        rows = Assignment.objects.filter(
            engineer__in=list(self.engineers),
            request__status__in=BOOKING_STATUSES,
            start__lte=end,
            end__gte=start,
        )
        if exclude_request_id is not None:
            rows = rows.exclude(request_id=exclude_request_id)
        self.bookings: dict[int, list[Booking]] = defaultdict(list)
        first, last = start, end
        for row in rows.values_list("engineer_id", "request_id", "planned_hours", "start", "end"):
            booking = Booking(*row)
            self.bookings[booking.engineer_id].append(booking)
            first, last = min(first, booking.start), max(last, booking.end)
        # Days off across every booking's whole window: they set how its hours spread.
        self.days_off: dict[int, set[datetime.date]] = defaultdict(set)
        for engineer_id, day in DayOff.objects.filter(
            engineer__in=list(self.engineers), date__range=(first, last)
        ).values_list("engineer_id", "date"):
            self.days_off[engineer_id].add(day)

    def working_days(self, engineer_id: int, start: datetime.date, end: datetime.date) -> int:
        return working_days(start, end, self.days_off[engineer_id])

    def available(self, engineer_id: int, start: datetime.date, end: datetime.date) -> Decimal:
        engineer = self.engineers[engineer_id]
        return hours(
            engineer.weekly_capacity_hours / 5 * self.working_days(engineer_id, start, end)
        )

    def booked(self, engineer_id: int, start: datetime.date, end: datetime.date) -> Decimal:
        total = sum(
            (
                self._share(booking, start, end)
                for booking in self.bookings[engineer_id]
                if booking.start <= end and booking.end >= start
            ),
            ZERO,
        )
        return hours(total)

    def free(self, engineer_id: int, start: datetime.date, end: datetime.date) -> Decimal:
        """Available minus booked hours; negative when the engineer is already over-booked."""
        return self.available(engineer_id, start, end) - self.booked(engineer_id, start, end)

    def _share(self, booking: Booking, start: datetime.date, end: datetime.date) -> Decimal:
        overlap_start, overlap_end = max(booking.start, start), min(booking.end, end)
        window = self.working_days(booking.engineer_id, booking.start, booking.end)
        if window:
            overlap = self.working_days(booking.engineer_id, overlap_start, overlap_end)
            return booking.planned_hours * overlap / window
        # A window without a working day (a weekend demo): spread over its calendar days.
        calendar_days = (booking.end - booking.start).days + 1
        return booking.planned_hours * ((overlap_end - overlap_start).days + 1) / calendar_days
