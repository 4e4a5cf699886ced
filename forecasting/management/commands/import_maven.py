"""Import the Maven CRM practice data set (its four CSV files) into this database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forecasting import maven
from salesops.exceptions import DomainError


class Command(BaseCommand):
    help = (
        "Import the Maven CRM practice data set (sales_pipeline.csv, accounts.csv, "
        "products.csv, sales_teams.csv) as teams, reps, accounts and opportunities with stage "
        "history, and report how its quirks were read. Best run on a database of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="The folder with the four CSV files.")

    def handle(self, *args, directory: Path, **options):
        try:
            data = maven.read(directory)
            report = maven.load(data)
        except FileNotFoundError as error:
            raise CommandError(f"Missing file: {error.filename}") from error
        except DomainError as error:
            raise CommandError(str(error)) from error
        for line, count in sorted(report.counts.items()):
            self.stdout.write(f"{count:>6}  {line}")
        for note in report.notes:
            self.stdout.write(f"        {note}")
