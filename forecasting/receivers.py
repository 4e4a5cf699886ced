"""What deal control does when a deal changes: recompute its team's figures (debounced, so a
burst of edits costs one run) and scan the deal for alerts."""

from django.dispatch import receiver

from opportunities.models import Opportunity
from opportunities.signals import opportunity_changed

from .tasks import schedule_alert_scan, schedule_team_recompute


@receiver(opportunity_changed, sender=Opportunity, dispatch_uid="forecasting-recompute")
def recompute_after_change(sender, *, opportunity_id, team_id, previous_team_id=None, **kwargs):
    # A reassignment to another team moves the deal out of the previous team's figures too.
    for team in sorted({team_id, previous_team_id} - {None}):
        schedule_team_recompute(team_id=team)
    schedule_alert_scan(opportunity_id=opportunity_id)
