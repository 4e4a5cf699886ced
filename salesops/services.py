"""Writes with a rule for the sales organisation."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .exceptions import Conflict, OrganisationRuleError, PermissionRefused
from .models import Target, Team, User
from .selectors import can_manage_team, can_manage_user


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@transaction.atomic
def target_set(
    *,
    by: User,
    month: datetime.date,
    amount: Decimal,
    team: Team | None = None,
    user: User | None = None,
) -> Target:
    """Create or replace the month's quota of a team or a user.

    Managers set quotas inside the subtree they lead (not their own), admins anywhere.
    """
    if (team is None) == (user is None):
        raise OrganisationRuleError(_("A target is set for a team or for a user, not both."))
    if amount is None or Decimal(amount) < 0:
        raise OrganisationRuleError(_("A target cannot be negative."))
    allowed = can_manage_team(by, team) if team else can_manage_user(by, user)
    if not allowed:
        raise PermissionRefused(
            _("You cannot set targets for %(subject)s.") % {"subject": team or user}
        )
    month = first_of_month(month)
    # Lock the row if it exists so that two managers editing at once do not interleave.
    target = (
        Target.objects.select_for_update(of=("self",))
        .filter(team=team, user=user, month=month)
        .order_by()
        .first()
    ) or Target(team=team, user=user, month=month)
    target.amount = Decimal(amount)
    target.set_by = by
    target.full_clean()
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as error:
        # Two people created the same month's target at the same instant; the other one won.
        message = _("Somebody set this target at the same time. Reload and try again.")
        raise Conflict(message) from error
    return target


@transaction.atomic
def target_delete(*, by: User, target: Target) -> None:
    allowed = can_manage_team(by, target.team) if target.team else can_manage_user(by, target.user)
    if not allowed:
        raise PermissionRefused(
            _("You cannot change targets for %(subject)s.") % {"subject": target.subject}
        )
    target.delete()
