"""Benchmarks for the organisation's hot reads on a company of realistic size:
12 regions, 8 teams each, 25 reps per team (2,400 reps). Run with `make bench`."""

import datetime

import pytest
from django.test import Client

from salesops import selectors
from salesops.choices import Role, TeamKind
from salesops.models import Target, Team, User

MONTH = datetime.date(2026, 11, 1)


@pytest.fixture
def big_company(db):
    admin = User.objects.create(username="admin", role=Role.ADMIN, is_superuser=True)
    director = None
    users, targets = [], []
    for region_number in range(12):
        region = Team.objects.add_root({"name": f"Region {region_number}", "kind": TeamKind.REGION})
        if director is None:
            director = User.objects.create(username="director", role=Role.MANAGER, team=region)
            Team.objects.filter(pk=region.pk).update(manager=director)
        for team_number in range(8):
            team = Team.objects.add_child(
                region, {"name": f"Team {region_number}-{team_number}", "kind": TeamKind.SALES}
            )
            for rep_number in range(25):
                users.append(
                    User(
                        username=f"rep{region_number}-{team_number}-{rep_number}",
                        role=Role.REP,
                        team=team,
                    )
                )
    User.objects.bulk_create(users)
    for user in User.objects.filter(role=Role.REP):
        targets.append(Target(user=user, month=MONTH, amount=500000))
    Target.objects.bulk_create(targets)
    return admin, director


def test_bench_user_list_visible_to_regional_manager(benchmark, big_company):
    _admin, director = big_company
    result = benchmark(lambda: len(list(selectors.user_list_visible_to(director))))
    assert result == 8 * 25 + 1


def test_bench_organisation_page_for_admin(benchmark, big_company):
    admin, _director = big_company
    client = Client()
    client.force_login(admin)
    response = benchmark(lambda: client.get("/organisation/"))
    assert response.status_code == 200
