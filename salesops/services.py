"""Writes with a rule for the sales organisation."""

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import Conflict, OrganisationRuleError, PermissionRefused
from .models import Target, Team, User, Webhook, WebhookDelivery
from .selectors import can_manage_team, can_manage_user
from .tasks import deliver_webhook


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


def webhook_dispatch(*, event: str, payload: dict) -> list[int]:
    """Queue one delivery per active webhook that wants the event; each is sent by a Celery
    task after the surrounding transaction commits, so a rolled-back change sends nothing."""
    hooks = [hook for hook in Webhook.objects.filter(is_active=True) if hook.wants(event)]
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=hook, event=event, payload={"event": event, **payload})
        for hook in hooks
    )
    for delivery in deliveries:
        delivery_id = delivery.pk
        transaction.on_commit(lambda delivery_id=delivery_id: deliver_webhook.delay(delivery_id))
    return [delivery.pk for delivery in deliveries]


def webhook_send(*, delivery_id: int, timeout: float = 10) -> bool:
    """POST a delivery's JSON body, signed with the webhook's secret. Returns whether the
    receiver accepted it (2xx); a delivered one is never sent again."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return True
    body = json.dumps(delivery.payload, sort_keys=True, default=str).encode()
    signature = hmac.new(delivery.webhook.secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SalesOps-Webhooks/1",
            "X-SalesOps-Event": delivery.event,
            "X-SalesOps-Delivery": str(delivery.pk),
            "X-SalesOps-Signature": f"sha256={signature}",
        },
    )
    status, error = None, ""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as failure:
        status, error = failure.code, str(failure)
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        error = str(failure)
    delivered = status is not None and 200 <= status < 300
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        response_status=status,
        last_error=error[:2000],
        status=WebhookDelivery.Status.DELIVERED if delivered else WebhookDelivery.Status.FAILED,
        delivered_at=timezone.now() if delivered else None,
    )
    return delivered
