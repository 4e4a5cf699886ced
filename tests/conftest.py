import datetime
import os
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from salesops.celery import app as celery_app
from salesops.choices import Role, TeamKind

from .factories import (
    MilestoneFactory,
    SalesProcessFactory,
    StageFactory,
    TeamFactory,
    UserFactory,
)

# In CI a test that needs a service or the browser fails instead of skipping.
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    """Integration tests exercise the real services; without REDIS_URL (the embedded default)
    there are none to exercise, so they are deselected, not run against stand-ins."""
    if os.environ.get("REDIS_URL"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("integration") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config):
    services = "real services (REDIS_URL set)" if os.environ.get("REDIS_URL") else "embedded"
    return [f"salesops: {services}; CI={IN_CI}"]


@pytest.fixture(autouse=True)
def _celery_eager_outside_integration(request):
    """Unit tests run tasks in-process; only integration tests talk to a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _process_data_after_flush(request):
    """Transactional tests (browser, integration) empty the database when they end, which
    also removes the sales processes that a migration seeds. Seed them again before each such
    test, as a fresh install would have them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    from importlib import import_module

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    migration = import_module("opportunities.migrations.0002_default_sales_process")
    migration.seed_processes(apps, None)


@pytest.fixture
def chromium_path():
    if not os.path.exists(CHROMIUM):
        message = f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)  # a developer machine without the browser: say so, run the rest
    return CHROMIUM


@pytest.fixture
def org(db):
    """A small company: two regions with sales teams, a presales centre, and an admin.

    East China (manager east) ── Shanghai (manager shanghai: rep1, rep2)
                              └─ Jiangsu (manager jiangsu: rep3)
    North China (manager north) ── Beijing (no manager: rep4)
    Presales Centre (lead presales) ── Solutions (lead presales: engineer1)
    """
    east = TeamFactory.region(name="East China")
    shanghai = TeamFactory(name="Shanghai", parent=east)
    jiangsu = TeamFactory(name="Jiangsu", parent=east)
    north = TeamFactory.region(name="North China")
    beijing = TeamFactory(name="Beijing", parent=north)
    centre = TeamFactory(name="Presales Centre", kind=TeamKind.PRESALES)
    solutions = TeamFactory(name="Solutions", kind=TeamKind.PRESALES, parent=centre)

    people = SimpleNamespace(
        east=east,
        shanghai=shanghai,
        jiangsu=jiangsu,
        north=north,
        beijing=beijing,
        centre=centre,
        solutions=solutions,
        admin=UserFactory(username="admin", admin=True),
        manager_east=UserFactory(username="m.east", role=Role.MANAGER, team=east),
        manager_shanghai=UserFactory(username="m.shanghai", role=Role.MANAGER, team=shanghai),
        manager_jiangsu=UserFactory(username="m.jiangsu", role=Role.MANAGER, team=jiangsu),
        manager_north=UserFactory(username="m.north", role=Role.MANAGER, team=north),
        rep1=UserFactory(username="rep1", team=shanghai),
        rep2=UserFactory(username="rep2", team=shanghai),
        rep3=UserFactory(username="rep3", team=jiangsu),
        rep4=UserFactory(username="rep4", team=beijing),
        lead=UserFactory(username="presales", role=Role.PRESALES_LEAD, team=solutions),
        engineer=UserFactory(username="engineer1", role=Role.PRESALES_ENGINEER, team=solutions),
    )
    for team, manager in [
        (east, people.manager_east),
        (shanghai, people.manager_shanghai),
        (jiangsu, people.manager_jiangsu),
        (north, people.manager_north),
        (centre, people.lead),
        (solutions, people.lead),
    ]:
        team.manager = manager
        team.save(update_fields=["manager"])
    return people


@pytest.fixture
def api_client():
    return APIClient()


def browser_launch_args():
    """The flags a closed network needs; see the browser tests."""
    return [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]


@pytest.fixture
def browser(chromium_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread; the ORM calls the test
    # makes around it are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=browser_launch_args()
        )
        yield browser
        browser.close()


@pytest.fixture
def pipeline(db):
    """A four-stage test process, independent of the seeded default one:
    1 first (10 %) ─ 2 second (40 %) ─ 3 third (70 %) ─ 4 signed (100 %, won).
    Required milestones: "need" in 1 (any evidence), "budget" in 2 (a note), "contract" in 3
    (a file, proves the contract); "nice" in 1 is optional. ATB guards leaving 2 for deals
    from 1,000,000 and needs the decision criteria known."""
    from opportunities.models import GateRule

    process = SalesProcessFactory(code="test")
    first = StageFactory(process=process, order=1, code="first", probability=10)
    second = StageFactory(process=process, order=2, code="second", probability=40)
    third = StageFactory(process=process, order=3, code="third", probability=70)
    signed = StageFactory(process=process, order=4, code="signed", probability=100, is_won=True)
    gate = GateRule.objects.create(
        process=process,
        kind="ATB",
        leaving_stage=second,
        min_amount=Decimal("1000000"),
        required_facts=["decision_criteria"],
    )
    return SimpleNamespace(
        process=process,
        first=first,
        second=second,
        third=third,
        signed=signed,
        atb=gate,
        need=MilestoneFactory(stage=first, code="need"),
        nice=MilestoneFactory(stage=first, code="nice", is_required=False),
        budget=MilestoneFactory(stage=second, code="budget", evidence_type="note"),
        contract=MilestoneFactory(
            stage=third, code="contract", evidence_type="file", proves_contract=True
        ),
    )


@pytest.fixture
def account(org):
    from accounts import services as account_services

    return account_services.account_create(
        by=org.manager_shanghai,
        owner_team=org.shanghai,
        name="Shanghai Auto Parts",
        owner=org.rep1,
    )


@pytest.fixture
def make_deal(org, pipeline, account):
    from opportunities import services

    def make(amount="500000", owner=None, **fields):
        return services.opportunity_create(
            by=owner or org.rep1,
            account=account,
            name="MES rollout",
            amount=Decimal(amount),
            expected_close_date=timezone.localdate() + datetime.timedelta(days=90),
            process=pipeline.process,
            **fields,
        )

    return make
