"""Organisation-wide housekeeping jobs."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired browser sessions (the database session store keeps them otherwise)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


class WebhookNotDelivered(Exception):
    pass


@shared_task(
    acks_late=True,
    autoretry_for=(WebhookNotDelivered,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
    soft_time_limit=60,
)
def deliver_webhook(delivery_id: int) -> bool:
    """Send one webhook delivery; retried with growing delays while the receiver fails."""
    from .services import webhook_send  # services enqueue this task: import at call time

    if not webhook_send(delivery_id=delivery_id):
        raise WebhookNotDelivered(delivery_id)
    return True
