"""The Maven CRM practice data set (a fictitious hardware company's 8,800 deals) brought into
SalesOps as a customer's export would be: its offices, managers and agents become regions,
teams and reps; its accounts become accounts; its deals become opportunities of the
"standard" process with the stage history the forecasting jobs learn from. The forecasts are
then backtested on it (`manage.py backtest_forecasts`).

The data is not SalesOps-shaped, and the import says so instead of failing (see `Report`):
- four stages only: Prospecting maps to the first stage, Engaging to the middle one
  ("propose"), Won and Lost close the deal from there; the only history is the engage and
  close dates;
- Prospecting deals have no date at all: they are dated at the data set's last day;
- open deals have no close date: the expected close is the engage date plus the median
  engage-to-win time of the won deals;
- lost deals have a close value of 0 and open deals none: their amount is the product's list
  price (the value at stake), won deals keep what they were closed at;
- deals without an account go to one "(no account in the source)" account;
- `GTXPro` is the product `GTX Pro`; the sector `technolgy` is `technology`.

Reading (`read`) is pure; writing (`load`) is one transaction and refuses to run twice.
"""

import csv
import datetime
import statistics
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.choices import AccountStatus, Industry
from accounts.models import Account
from opportunities.choices import (
    ForecastCategory,
    LostReason,
    OpportunityStatus,
    Source,
    StageChangeKind,
)
from opportunities.models import Opportunity, SalesProcess, StageChange
from salesops.choices import Role, TeamKind
from salesops.exceptions import DomainError
from salesops.models import Team

PROCESS = "standard"
OPEN_STAGE = {"Prospecting": "qualify", "Engaging": "propose"}
PRODUCT_ALIASES = {"GTXPro": "GTX Pro"}
SECTOR_ALIASES = {"technolgy": "technology"}
SECTORS = {
    "technology": Industry.TECHNOLOGY,
    "software": Industry.TECHNOLOGY,
    "medical": Industry.HEALTHCARE,
    "retail": Industry.RETAIL,
    "finance": Industry.BANKING,
    "telecommunications": Industry.TELECOM,
    "entertainment": Industry.MEDIA,
    "marketing": Industry.MEDIA,
    "services": Industry.OTHER,
    "employment": Industry.OTHER,
}
NO_ACCOUNT = "(no account in the source)"
BATCH = 1000


@dataclass
class Deal:
    ref: str
    agent: str
    product: str
    account: str
    stage: str
    engaged_on: datetime.date | None
    closed_on: datetime.date | None
    amount: Decimal
    expected_close: datetime.date
    created_on: datetime.date


@dataclass
class Report:
    counts: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class Data:
    agents: dict[str, tuple[str, str]]  # agent -> (manager, office)
    accounts: list[dict]
    deals: list[Deal]
    last_day: datetime.date
    report: Report


def _rows(directory: Path, name: str) -> list[dict]:
    with (directory / name).open(newline="", encoding="utf-8-sig") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def read(directory: Path) -> Data:
    """The four files, checked and mapped; every quirk met is counted in the report."""
    directory = Path(directory)
    report = Report()
    prices = {
        row["product"]: Decimal(row["sales_price"]) for row in _rows(directory, "products.csv")
    }
    agents = {
        row["sales_agent"]: (row["manager"], row["regional_office"])
        for row in _rows(directory, "sales_teams.csv")
    }
    accounts = _rows(directory, "accounts.csv")
    for account in accounts:
        sector = account["sector"]
        if sector in SECTOR_ALIASES:
            report.counts[f"sector {sector!r} read as {SECTOR_ALIASES[sector]!r}"] += 1
            account["sector"] = SECTOR_ALIASES[sector]
    raw = _rows(directory, "sales_pipeline.csv")
    closes = [_date(row["close_date"]) for row in raw if row["close_date"]]
    last_day = max(closes)
    cycles = [
        (_date(row["close_date"]) - _date(row["engage_date"])).days
        for row in raw
        if row["deal_stage"] == "Won" and row["engage_date"] and row["close_date"]
    ]
    median_cycle = datetime.timedelta(days=round(statistics.median(cycles)))
    deals = []
    for row in raw:
        product = row["product"]
        if product in PRODUCT_ALIASES:
            report.counts[f"product {product!r} read as {PRODUCT_ALIASES[product]!r}"] += 1
            product = PRODUCT_ALIASES[product]
        if product not in prices:
            report.counts[f"skipped: unknown product {product!r}"] += 1
            continue
        if row["sales_agent"] not in agents:
            report.counts[f"skipped: agent {row['sales_agent']!r} not in sales_teams.csv"] += 1
            continue
        stage = row["deal_stage"]
        engaged, closed = _date(row["engage_date"]), _date(row["close_date"])
        if not row["account"]:
            report.counts[f"no account: filed under {NO_ACCOUNT!r}"] += 1
        if stage == "Won":
            amount = Decimal(row["close_value"])
        else:
            amount = prices[product]
            report.counts[f"{stage}: amount taken from the list price"] += 1
        if engaged is None:
            report.counts["no engage date: dated at the data set's last day"] += 1
        created = engaged or last_day
        if closed is None:
            expected = created + median_cycle
            report.counts["open: expected close = engage date + median cycle"] += 1
        else:
            expected = closed
        deals.append(
            Deal(
                ref=row["opportunity_id"],
                agent=row["sales_agent"],
                product=product,
                account=row["account"] or NO_ACCOUNT,
                stage=stage,
                engaged_on=engaged,
                closed_on=closed,
                amount=amount,
                expected_close=expected,
                created_on=created,
            )
        )
    report.counts["deals read"] = len(deals)
    report.note(f"median engage-to-win time: {median_cycle.days} days")
    return Data(agents=agents, accounts=accounts, deals=deals, last_day=last_day, report=report)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _organisation(data: Data) -> dict[str, object]:
    """Regions per office, a team per manager, a rep per agent. Returns agent -> user."""
    User = get_user_model()
    root = Team.objects.add_root({"name": "Maven Analytics", "kind": TeamKind.REGION})
    regions, teams, reps = {}, {}, {}
    for agent, (manager, office) in sorted(data.agents.items()):
        if office not in regions:
            regions[office] = Team.objects.add_child(
                root, {"name": office, "kind": TeamKind.REGION}
            )
        if manager not in teams:
            boss = User.objects.create_user(
                username=_username(manager), name=manager, role=Role.MANAGER
            )
            team = Team.objects.add_child(
                regions[office], {"name": f"{manager}'s team", "kind": TeamKind.SALES}
            )
            team.manager = boss
            team.save(update_fields=["manager"])
            User.objects.filter(pk=boss.pk).update(team=team)
            teams[manager] = team
        reps[agent] = User.objects.create_user(
            username=_username(agent), name=agent, role=Role.REP, team=teams[manager]
        )
    return reps


def _username(name: str) -> str:
    return "maven." + ".".join(name.lower().split())


@transaction.atomic
def load(data: Data) -> Report:
    """Write the data set into the database as opportunities of the standard process."""
    if Opportunity.objects.filter(name__startswith="MAVEN-").exists():
        raise DomainError("The Maven data set is already imported.")
    process = SalesProcess.objects.get(code=PROCESS)
    stages = {stage.code: stage for stage in process.stages.all()}
    won_stage = next(stage for stage in stages.values() if stage.is_won)
    reps = _organisation(data)
    root_team = Team.objects.get(name="Maven Analytics", depth=1)
    won_accounts = {deal.account for deal in data.deals if deal.stage == "Won"}
    accounts = {}
    for row in [*data.accounts, {"account": NO_ACCOUNT, "sector": ""}]:
        accounts[row["account"]] = Account.objects.create(
            name=row["account"],
            industry=SECTORS.get(row["sector"], Industry.OTHER),
            location=row.get("office_location", ""),
            employees=int(row["employees"]) if row.get("employees") else None,
            owner_team=root_team,
            status=AccountStatus.CUSTOMER
            if row["account"] in won_accounts
            else AccountStatus.PROSPECT,
        )
    for row in data.accounts:
        if row.get("subsidiary_of") and row["subsidiary_of"] in accounts:
            Account.objects.filter(pk=accounts[row["account"]].pk).update(
                parent=accounts[row["subsidiary_of"]]
            )
    for start in range(0, len(data.deals), BATCH):
        _write_deals(data.deals[start : start + BATCH], reps, accounts, stages, won_stage)
    data.report.counts["opportunities written"] = len(data.deals)
    return data.report


def _write_deals(deals, reps, accounts, stages, won_stage) -> None:
    first, middle = stages["qualify"], stages["propose"]
    opportunities, histories = [], []
    for deal in deals:
        rep = reps[deal.agent]
        stage = first if deal.stage == "Prospecting" else middle
        status = {
            "Won": OpportunityStatus.WON,
            "Lost": OpportunityStatus.LOST,
        }.get(deal.stage, OpportunityStatus.OPEN)
        created = _at(deal.created_on, 9)
        entered = _at(deal.engaged_on) if deal.engaged_on else created
        closed = _at(deal.closed_on, 17) if deal.closed_on else None
        opportunity = Opportunity(
            account=accounts[deal.account],
            name=f"MAVEN-{deal.ref} {deal.product}",
            owner=rep,
            team_id=rep.team_id,
            process=first.process,
            stage=won_stage if status == OpportunityStatus.WON else stage,
            customer_stage=won_stage if status == OpportunityStatus.WON else stage,
            status=status,
            amount=deal.amount,
            currency="USD",
            expected_close_date=deal.expected_close,
            forecast_category=ForecastCategory.PIPELINE,
            source=Source.OTHER,
            probability=100 if status == OpportunityStatus.WON else stage.probability,
            lost_reason=LostReason.OTHER if status == OpportunityStatus.LOST else "",
            lost_note="No reason in the source." if status == OpportunityStatus.LOST else "",
            lost_at_stage=stage if status == OpportunityStatus.LOST else None,
            closed_on=deal.closed_on,
            stage_entered_at=closed if status == OpportunityStatus.WON else entered,
            created_at=created,
        )
        opportunities.append(opportunity)
        changes = [
            StageChange(
                kind=StageChangeKind.CREATED,
                to_stage=first,
                status=OpportunityStatus.OPEN,
                changed_at=created,
                changed_by=rep,
            )
        ]
        if stage == middle:
            changes.append(
                StageChange(
                    kind=StageChangeKind.SKIP
                    if deal.engaged_on is None
                    else StageChangeKind.ADVANCE,
                    from_stage=first,
                    to_stage=middle,
                    status=OpportunityStatus.OPEN,
                    changed_at=entered,
                    changed_by=rep,
                    note="Engaging (imported)",
                    days_in_previous=Decimal(0),
                )
            )
        if closed is not None:
            changes.append(
                StageChange(
                    kind=StageChangeKind.WON
                    if status == OpportunityStatus.WON
                    else StageChangeKind.LOST,
                    from_stage=stage,
                    to_stage=won_stage if status == OpportunityStatus.WON else stage,
                    status=status,
                    changed_at=closed,
                    changed_by=rep,
                    days_in_previous=Decimal((closed - entered).total_seconds() / 86400).quantize(
                        Decimal("0.01")
                    ),
                )
            )
        histories.append(changes)
    Opportunity.objects.bulk_create(opportunities)
    rows = []
    for opportunity, changes in zip(opportunities, histories, strict=True):
        for change in changes:
            change.opportunity = opportunity
            rows.append(change)
    StageChange.objects.bulk_create(rows)
