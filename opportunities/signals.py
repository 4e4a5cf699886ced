"""Sent after the transaction that changed an opportunity commits. Forecasting, alerts and
webhooks listen; the sender never waits for them."""

from django.dispatch import Signal

# kwargs: opportunity_id, account_id, team_id, changes (a set of what changed: "stage",
# "status", "amount", ...)
opportunity_changed = Signal()
