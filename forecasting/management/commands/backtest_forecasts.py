"""Backtest the forecast methods on the Maven CRM practice data set."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from forecasting import backtest, maven
from forecasting.periods import add_months


def _month(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01")
    except ValueError as error:
        raise CommandError(f"Give a month as YYYY-MM, not {value!r}.") from error


class Command(BaseCommand):
    help = (
        "Forecast each month's bookings from what was known on its first day, with every "
        "method and the naive baselines, and print the errors (MAPE)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="The folder with the four CSV files.")
        parser.add_argument("--first", default="2017-06", help="First month (YYYY-MM).")
        parser.add_argument("--last", default="2017-12", help="Last month (YYYY-MM).")

    def handle(self, *args, directory: Path, first: str, last: str, **options):
        start, end = _month(first), _month(last)
        if end < start:
            raise CommandError("The last month comes before the first.")
        months = []
        while start <= end:
            months.append(start)
            start = add_months(start, 1)
        try:
            data = maven.read(directory)
        except FileNotFoundError as error:
            raise CommandError(f"Missing file: {error.filename}") from error
        result = backtest.run(data, months)
        methods = list(result["mape"])
        self.stdout.write("month      actual       " + "  ".join(methods))
        for row in result["rows"]:
            figures = "  ".join(
                f"{row['forecasts'][method]:>{len(method)},.0f}" for method in methods
            )
            self.stdout.write(f"{row['month']:%Y-%m}  {row['actual']:>11,.0f}  {figures}")
        self.stdout.write("\nMAPE")
        for method, error in sorted(result["mape"].items(), key=lambda item: item[1]):
            self.stdout.write(f"  {error:>7.1%}  {method}")
