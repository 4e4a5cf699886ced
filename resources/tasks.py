"""Presales resource jobs: thin, ids in, the work in resources.services."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def notify_transition(*, transition_id: int) -> int:
    """E-mail the people a request's status change concerns. Idempotent."""
    from .services import transition_notify  # services enqueue this task: import at call time

    return transition_notify(transition_id=transition_id)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=700)
def refresh_priorities(*, opportunity_ids: list[int] | None = None) -> int:
    """Recompute the priority of open requests (of some deals, or all: nightly, because the
    deadline comes closer every day and tiers change). Idempotent."""
    from .services import priority_refresh_open

    return priority_refresh_open(opportunity_ids=opportunity_ids)
