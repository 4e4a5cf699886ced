"""What happens in resources when a deal changes: its open requests get their priority
recomputed."""

from django.dispatch import receiver

from opportunities.models import Opportunity
from opportunities.signals import opportunity_changed

from .services import PRIORITY_INPUTS, priority_refresh_open


@receiver(opportunity_changed, sender=Opportunity, dispatch_uid="resources-priority")
def refresh_request_priorities(sender, *, opportunity_id, changes, **kwargs):
    if PRIORITY_INPUTS & set(changes):
        priority_refresh_open(opportunity_ids=[opportunity_id])
