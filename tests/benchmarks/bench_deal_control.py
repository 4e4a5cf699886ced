"""Benchmarks for deal control: the nightly jobs over a company's pipeline, and the dashboards
that read what they store. 40,000 deals of 500 reps in 20 teams under one region, each with
its creation and a closed history for a quarter of them. Run with `make bench`."""

import datetime
import random
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Account
from forecasting import services
from opportunities.models import Opportunity, SalesProcess, StageChange
from salesops.choices import Role, TeamKind
from salesops.models import Team, User

DEALS = 40_000
TEAMS = 20
REPS_PER_TEAM = 25


@pytest.fixture
def company(db):
    region = Team.objects.add_root({"name": "China", "kind": TeamKind.REGION})
    boss = User.objects.create(username="boss", role=Role.MANAGER, team=region)
    Team.objects.filter(pk=region.pk).update(manager=boss)
    admin = User.objects.create(username="root", role=Role.ADMIN, team=region)
    reps = []
    for number in range(TEAMS):
        team = Team.objects.add_child(region, {"name": f"Team {number}", "kind": TeamKind.SALES})
        reps += User.objects.bulk_create(
            User(username=f"rep{number}-{rep}", role=Role.REP, team=team)
            for rep in range(REPS_PER_TEAM)
        )
    accounts = Account.objects.bulk_create(
        Account(name=f"Customer {number}", owner_team=region) for number in range(1000)
    )
    process = SalesProcess.objects.get(is_default=True)
    stages = list(process.stages.order_by("order"))
    open_stages, won_stage = stages[:-1], stages[-1]
    rng = random.Random(7)
    now = timezone.now()
    deals, histories = [], []
    for number in range(DEALS):
        owner = rng.choice(reps)
        stage = rng.choice(open_stages)
        created = now - datetime.timedelta(days=rng.randint(20, 400))
        closed = number % 4 == 0
        won = closed and rng.random() < 0.4
        deals.append(
            Opportunity(
                account=rng.choice(accounts),
                name=f"Deal {number}",
                owner=owner,
                team_id=owner.team_id,
                process=process,
                stage=won_stage if won else stage,
                customer_stage=won_stage if won else stage,
                amount=Decimal(rng.randint(50, 5000) * 1000),
                probability=100 if won else stage.probability,
                expected_close_date=now.date() + datetime.timedelta(days=rng.randint(-30, 300)),
                status=("won" if won else "lost") if closed else "open",
                lost_reason="" if won or not closed else "price",
                closed_on=(created + datetime.timedelta(days=15)).date() if closed else None,
                created_at=created,
                stage_entered_at=created + datetime.timedelta(days=5),
            )
        )
        histories.append((created, stage, closed, won))
    Opportunity.objects.bulk_create(deals, batch_size=2000)
    changes = []
    for deal, (created, stage, closed, won) in zip(deals, histories, strict=True):
        changes.append(
            StageChange(
                opportunity=deal,
                kind="created",
                to_stage=open_stages[0],
                status="open",
                changed_at=created,
            )
        )
        changes.append(
            StageChange(
                opportunity=deal,
                kind="advance",
                from_stage=open_stages[0],
                to_stage=stage,
                status="open",
                changed_at=created + datetime.timedelta(days=5),
            )
        )
        if closed:
            changes.append(
                StageChange(
                    opportunity=deal,
                    kind="won" if won else "lost",
                    from_stage=stage,
                    to_stage=won_stage if won else stage,
                    status="won" if won else "lost",
                    changed_at=created + datetime.timedelta(days=15),
                )
            )
    StageChange.objects.bulk_create(changes, batch_size=5000)
    return boss, admin


def test_bench_nightly_snapshots_statistics_and_rep_months(benchmark, company):
    def run():
        return (
            services.snapshots_recompute(),
            services.statistics_recompute(),
            services.rep_months_recompute(),
        )

    snapshots, statistics, rep_months = benchmark.pedantic(run, rounds=3, iterations=1)
    assert snapshots > 0 and statistics > 0 and rep_months > 0


def test_bench_nightly_forecasts(benchmark, company):
    services.statistics_recompute()
    rows = benchmark.pedantic(services.forecasts_recompute, rounds=3, iterations=1)
    assert rows > 0


@pytest.fixture
def computed(company):
    for step in ("snapshots", "statistics", "rep_months", "forecasts"):
        services.job_step_run(step)
    return company


def test_bench_region_managers_dashboard(benchmark, computed):
    boss, _admin = computed
    client = Client()
    client.force_login(boss)
    response = benchmark(lambda: client.get("/control/"))
    assert response.status_code == 200


def test_bench_company_dashboard(benchmark, computed):
    _boss, admin = computed
    client = Client()
    client.force_login(admin)
    response = benchmark(lambda: client.get("/control/"))
    assert response.status_code == 200
