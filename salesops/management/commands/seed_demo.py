import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.demo import (
    DEFAULT_ACCOUNT_COUNT,
    seed_account_plans,
    seed_accounts,
    seed_missing_account_teams,
)
from forecasting.alerts import alerts_scan
from forecasting.models import FunnelSnapshot
from forecasting.services import history_backfill, job_step_run
from opportunities.demo import DEFAULT_OPPORTUNITY_COUNT, seed_opportunities
from resources.demo import seed_presales
from salesops.demo import DEMO_PASSWORD, seed_organisation

HISTORY_DAYS = 183


class Command(BaseCommand):
    help = "Create (or complete) the demo company. Safe to run again: existing rows are kept."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for the data.")
        parser.add_argument(
            "--accounts",
            type=int,
            default=DEFAULT_ACCOUNT_COUNT,
            help="How many customer accounts to plan (0: none).",
        )
        parser.add_argument(
            "--opportunities",
            type=int,
            default=None,
            help=(
                "How many opportunities to plan over the last 18 months (0: none). Default: "
                f"{DEFAULT_OPPORTUNITY_COUNT} for the default {DEFAULT_ACCOUNT_COUNT} accounts, "
                "as many per account for another number."
            ),
        )

    def handle(self, *args, seed, accounts, opportunities, **options):
        rng = random.Random(seed)
        today = timezone.localdate()
        organisation = seed_organisation(today=today, rng=rng)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo organisation: {reps} reps in {sales_teams} sales teams, "
                "{engineers} presales engineers.".format(**organisation)
            )
        )
        # A generator of its own: seed_organisation draws only for the rows it creates, so a
        # shared one would plan different accounts on a second run.
        customers = seed_accounts(
            rng=random.Random(f"{seed}:accounts"), today=today, count=accounts
        )
        if customers["accounts"]:
            tiers = ", ".join(f"{tier} {count}" for tier, count in customers["tiers"].items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo customers: {customers['accounts']} accounts (tiers {tiers}), "
                    f"{customers['contacts']} contacts."
                )
            )
        elif accounts:
            self.stdout.write("Demo customers: already there.")
        if opportunities is None:
            opportunities = round(DEFAULT_OPPORTUNITY_COUNT * accounts / DEFAULT_ACCOUNT_COUNT)
        deals = seed_opportunities(
            rng=random.Random(f"{seed}:opportunities"), today=today, count=opportunities
        )
        if deals["opportunities"]:
            statuses = ", ".join(f"{status} {count}" for status, count in deals["statuses"].items())
            tiers = ", ".join(f"{tier} {count}" for tier, count in deals["tiers"].items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo opportunities: {deals['opportunities']} deals ({statuses}), "
                    f"{deals['stage_changes']} stage changes, {deals['activities']} activities; "
                    f"account tiers now {tiers}."
                )
            )
        elif opportunities:
            self.stdout.write("Demo opportunities: already there.")
        # After the deals: their won revenue makes accounts strategic (tier A), and every
        # strategic account gets its account team and a plan.
        seed_missing_account_teams(seed=str(seed))
        plans = seed_account_plans(today=today)
        if plans["plans"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo account plans for {today.year}: {plans['plans']} strategic accounts, "
                    f"{plans['wish_items']} wish-list items, "
                    f"{plans['roadmap_items']} roadmap items."
                )
            )
        presales = seed_presales(rng=random.Random(f"{seed}:presales"), today=today)
        if presales["requests"]:
            statuses = ", ".join(
                f"{status} {count}" for status, count in presales["statuses"].items()
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo presales: {presales['requests']} resource requests ({statuses}), "
                    f"{presales['assignments']} assignments, {presales['time_entries']} time "
                    f"entries ({presales['hours']} h); {presales['engineers']} new engineer "
                    "profiles."
                )
            )
        elif presales["engineers"]:
            self.stdout.write(
                self.style.SUCCESS(f"Demo presales: {presales['engineers']} engineer profiles.")
            )
        # Six months of funnel snapshots and forecasts, rebuilt from the deals' history, so the
        # dashboards have a past. Later runs bring today's figures up to date when the nightly
        # jobs have not (the embedded default has no beat), then scan for alerts.
        if not FunnelSnapshot.objects.exists():
            history = history_backfill(days=HISTORY_DAYS, today=today)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deal control: {history['snapshots']} funnel snapshot rows over "
                    f"{HISTORY_DAYS} days, {history['forecasts']} forecasts as of "
                    f"{history['forecast_days']} days."
                )
            )
        elif not FunnelSnapshot.objects.filter(day=today).exists():
            for step in ("snapshots", "statistics", "rep_months", "forecasts"):
                job_step_run(step)
            self.stdout.write(self.style.SUCCESS(f"Deal control: figures of {today} computed."))
        found = alerts_scan(today=today)
        if found["opened"] or found["resolved"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deal control: {found['opened']} alerts opened, {found['resolved']} resolved."
                )
            )
        self.stdout.write(
            f"Demo logins (password '{DEMO_PASSWORD}'): admin, manager, mgr.shanghai, rep, "
            "presales, engineer."
        )
