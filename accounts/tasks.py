from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=2000)
def recompute_tiers(*, account_ids: list[int] | None = None) -> int:
    """Nightly (beat) and on demand: recompute every account's tier. Idempotent."""
    return services.tiering_recompute(account_ids=account_ids)
