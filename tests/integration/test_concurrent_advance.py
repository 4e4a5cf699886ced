"""Two people move the same deal at the same moment, on PostgreSQL with real row locks: one
move wins, the other gets a clear conflict, and no update is lost."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from opportunities import services
from opportunities.exceptions import StageMoveRefused
from opportunities.models import Opportunity, StageChange
from salesops.exceptions import Conflict

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _race(actions):
    """Run each action in its own thread and connection, released together."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            outcomes[index] = action()
        except Exception as error:  # the outcome is what the test checks
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_advance_moves_once_and_refuses_the_other(org, make_deal, pipeline):
    assert connection.vendor == "postgresql", "row locks are tested on PostgreSQL"
    deal = make_deal()
    services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep1, note="ok")
    version = Opportunity.objects.get(pk=deal.pk).version

    def advance(user):
        return lambda: services.opportunity_advance(
            opportunity=deal, to_stage="second", by=user, version=version
        )

    outcomes = _race([advance(org.rep1), advance(org.manager_shanghai)])
    moved = [outcome for outcome in outcomes if isinstance(outcome, Opportunity)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(moved) == 1 and len(refused) == 1, outcomes
    assert "Somebody else changed this opportunity" in refused[0].detail
    assert StageChange.objects.filter(opportunity=deal, to_stage=pipeline.second).count() == 1


def test_concurrent_moves_without_a_version_are_serialised(org, make_deal, pipeline):
    deal = make_deal()
    services.milestone_check(opportunity=deal, milestone=pipeline.need, by=org.rep1, note="ok")

    def advance():
        return services.opportunity_advance(opportunity=deal, to_stage="second", by=org.rep1)

    outcomes = _race([advance, advance])
    assert sum(isinstance(outcome, Opportunity) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, StageMoveRefused) for outcome in outcomes) == 1
    assert StageChange.objects.filter(opportunity=deal, kind="advance").count() == 1


def test_concurrent_edits_keep_both_or_refuse_one(org, make_deal):
    deal = make_deal()

    def edit(**fields):
        return lambda: services.opportunity_update(
            opportunity=deal, by=org.rep1, version=1, **fields
        )

    outcomes = _race([edit(amount=Decimal("700000")), edit(name="MES rollout, phase 1")])
    assert sum(isinstance(outcome, Conflict) for outcome in outcomes) == 1
    deal.refresh_from_db()
    assert deal.version == 2
