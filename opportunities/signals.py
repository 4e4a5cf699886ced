"""Sent after the transaction that changed an opportunity commits. Forecasting, alerts and
webhooks listen; the sender never waits for them."""

from django.dispatch import Signal

# kwargs: opportunity_id, account_id, team_id, changes (a set of what changed: "stage",
# "status", "amount", ...); on a reassignment also previous_team_id (the team it left)
opportunity_changed = Signal()
