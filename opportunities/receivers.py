"""What happens elsewhere when a deal changes: integrations hear about it by webhook."""

from django.dispatch import receiver

from salesops.models import WebhookEvent
from salesops.services import webhook_dispatch

from .models import Opportunity
from .signals import opportunity_changed


def webhook_event(changes: frozenset, status: str) -> str:
    if "created" in changes:
        return WebhookEvent.OPPORTUNITY_CREATED
    if "status" in changes and status == "won":
        return WebhookEvent.OPPORTUNITY_WON
    if "status" in changes and status in ("lost", "abandoned"):
        return WebhookEvent.OPPORTUNITY_CLOSED
    if "stage" in changes:
        return WebhookEvent.OPPORTUNITY_STAGE_CHANGED
    return WebhookEvent.OPPORTUNITY_CHANGED


@receiver(opportunity_changed, dispatch_uid="opportunity-webhooks")
def send_webhooks(sender, *, opportunity_id, account_id, team_id, changes, **kwargs):
    row = (
        Opportunity.objects.filter(pk=opportunity_id)
        .values("status", "stage__code", "amount", "probability", "version")
        .first()
    )
    if row is None:
        return
    webhook_dispatch(
        event=webhook_event(changes, row["status"]),
        payload={
            "opportunity": {
                "id": opportunity_id,
                "account_id": account_id,
                "team_id": team_id,
                "status": row["status"],
                "stage": row["stage__code"],
                "amount": str(row["amount"]),
                "probability": row["probability"],
                "version": row["version"],
            },
            "changes": sorted(changes),
        },
    )
