import random

from django.core.management.base import BaseCommand
from django.utils import timezone

from salesops.demo import DEMO_PASSWORD, seed_organisation


class Command(BaseCommand):
    help = "Create (or complete) the demo company. Safe to run again: existing rows are kept."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed for the data.")

    def handle(self, *args, seed, **options):
        rng = random.Random(seed)
        today = timezone.localdate()
        organisation = seed_organisation(today=today, rng=rng)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo organisation: {reps} reps in {sales_teams} sales teams, "
                "{engineers} presales engineers.".format(**organisation)
            )
        )
        self.stdout.write(
            f"Demo logins (password '{DEMO_PASSWORD}'): admin, manager, mgr.shanghai, rep, "
            "presales, engineer."
        )
