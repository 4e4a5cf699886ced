"""Seed one alert rule per anomaly (DESIGN.md §1.7) with its default severity and thresholds.

The values repeat forecasting.alerts.RULES on purpose (migrations do not import app code); a
test checks that they agree. Once seeded, the rows belong to the company's admins: a rule that
already exists is left as it is.

Reverse: the seeded rules (and the alerts they raised) are deleted.
"""

from django.db import migrations

RULES = {
    "stalled": ("warning", {"factor": "1"}),
    "stage_gap": ("warning", {"stages": 2}),
    "stage_skipped": ("critical", {}),
    "close_date_slipping": ("warning", {"pushes": 2, "within_days": 90}),
    "amount_dropped": ("warning", {"percent": "30"}),
    "no_activity": ("warning", {"days": 14, "from_stage_order": 2}),
    "single_threaded": ("warning", {"from_stage_order": 4}),
    "no_presales": ("info", {"min_amount": "1000000", "from_stage_order": 3}),
    "request_waiting": ("warning", {"approve_hours": 48, "dispatch_hours": 72}),
    "engineer_overbooked": ("warning", {"percent": "0", "weeks": 4}),
    "forecast_below_target": ("critical", {"coverage": "1"}),
}


def seed_rules(apps, schema_editor):
    AlertRule = apps.get_model("forecasting", "AlertRule")
    existing = set(AlertRule.objects.values_list("kind", flat=True))
    AlertRule.objects.bulk_create(
        AlertRule(kind=kind, severity=severity, params=params, is_active=True)
        for kind, (severity, params) in RULES.items()
        if kind not in existing
    )


def remove_rules(apps, schema_editor):
    AlertRule = apps.get_model("forecasting", "AlertRule")
    AlertRule.objects.filter(kind__in=RULES).delete()


class Migration(migrations.Migration):
    dependencies = [("forecasting", "0001_initial")]

    operations = [migrations.RunPython(seed_rules, remove_rules)]
