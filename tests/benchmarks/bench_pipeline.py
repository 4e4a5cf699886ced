"""Benchmarks for the pipeline's hot pages and endpoints on a busy team: 20,000 deals in one
sales team of 25 reps (800 each), seen by their manager. Run with `make bench`."""

import datetime
import random
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account
from opportunities.models import Opportunity, SalesProcess
from salesops.choices import Role, TeamKind
from salesops.models import Team, User

DEALS = 20_000


@pytest.fixture
def busy_team(db):
    region = Team.objects.add_root({"name": "East", "kind": TeamKind.REGION})
    team = Team.objects.add_child(region, {"name": "Shanghai", "kind": TeamKind.SALES})
    manager = User.objects.create(username="boss", role=Role.MANAGER, team=team)
    Team.objects.filter(pk=team.pk).update(manager=manager)
    reps = User.objects.bulk_create(
        User(username=f"rep{number}", role=Role.REP, team=team) for number in range(25)
    )
    accounts = Account.objects.bulk_create(
        Account(name=f"Customer {number}", owner_team=team) for number in range(500)
    )
    process = SalesProcess.objects.get(is_default=True)
    stages = list(process.stages.filter(is_won=False))
    rng = random.Random(7)
    today = datetime.date(2026, 11, 23)
    deals = []
    for number in range(DEALS):
        stage = rng.choice(stages)
        deals.append(
            Opportunity(
                account=rng.choice(accounts),
                name=f"Deal {number}",
                owner=rng.choice(reps),
                team=team,
                process=process,
                stage=stage,
                customer_stage=stage,
                amount=Decimal(rng.randint(50, 5000) * 1000),
                probability=stage.probability,
                expected_close_date=today + datetime.timedelta(days=rng.randint(-30, 300)),
                status="open" if number % 4 else rng.choice(["won", "lost", "abandoned"]),
                lost_reason="price",
            )
        )
    Opportunity.objects.bulk_create(deals, batch_size=2000)
    return manager, reps[0]


def test_bench_board_for_a_manager(benchmark, busy_team):
    manager, _rep = busy_team
    client = Client()
    client.force_login(manager)
    response = benchmark(lambda: client.get("/opportunities/?scope=team"))
    assert response.status_code == 200


def test_bench_board_for_a_rep(benchmark, busy_team):
    _manager, rep = busy_team
    client = Client()
    client.force_login(rep)
    response = benchmark(lambda: client.get("/opportunities/"))
    assert response.status_code == 200


def test_bench_opportunity_list_api_filtered(benchmark, busy_team):
    manager, _rep = busy_team
    client = APIClient()
    client.force_authenticate(manager)
    url = "/api/v1/opportunities/?status=open&amount_min=1000000&ordering=-amount"
    response = benchmark(lambda: client.get(url))
    assert response.status_code == 200
    assert response.data["count"] > 0
