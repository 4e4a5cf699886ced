"""Tiering arithmetic: criterion scores, weights, thresholds, nine-grid and explanation."""

from decimal import Decimal

import pytest

from accounts.choices import AccountSize, GridLevel, Strategy, Tier
from accounts.models import TieringPolicy
from accounts.tiering import Assessment, TieringFacts, compute_tiering


@pytest.fixture
def policy():
    # Defaults: weights 30/25/20/15/10, A from 70, B from 40; grid high 67, mid 34.
    return TieringPolicy()


def owner(**scores):
    return {
        criterion: Assessment(score, f"{criterion} note") for criterion, score in scores.items()
    }


def test_full_marks_everywhere_is_tier_a_invest(policy):
    facts = TieringFacts(
        won_revenue=Decimal("9000000"),
        buying_years=5,
        assessments=owner(potential=100, winnability=100, demonstration=100),
    )
    result = compute_tiering(policy, facts)
    assert result.score == Decimal("100.00")
    assert result.tier == Tier.A
    assert (result.attractiveness, result.position, result.strategy) == (
        GridLevel.HIGH,
        GridLevel.HIGH,
        Strategy.INVEST,
    )


def test_weighted_score_and_explanation_points(policy):
    facts = TieringFacts(
        won_revenue=Decimal("2500000"),  # 50 of contribution -> 15 points
        buying_years=1,  # 33.33 of continuity -> 3.33 points
        annual_budget=Decimal("4000000"),  # 40 of potential -> 10 points
        assessments=owner(winnability=80, demonstration=60),  # 16 + 9 points
    )
    result = compute_tiering(policy, facts)
    points = {row["criterion"]: row["points"] for row in result.explanation()}
    assert points == {
        "contribution": "15.00",
        "potential": "10.00",
        "winnability": "16.00",
        "demonstration": "9.00",
        "continuity": "3.33",
    }
    assert result.score == Decimal("53.33")
    assert result.tier == Tier.B
    sources = {row["criterion"]: row["source"] for row in result.explanation()}
    assert sources["potential"] == "data" and sources["winnability"] == "owner"


@pytest.mark.parametrize(
    ("winnability", "tier"),
    [(100, Tier.A), (0, Tier.B)],
)
def test_tier_thresholds_are_inclusive(policy, winnability, tier):
    # contribution 100 (30) + potential 100 (25) + demonstration 100 (15) = 70 without winnability
    policy.tier_a_min_score = 90 if winnability == 100 else 80
    policy.tier_b_min_score = 70
    facts = TieringFacts(
        won_revenue=Decimal("5000000"),
        assessments=owner(potential=100, winnability=winnability, demonstration=100),
    )
    result = compute_tiering(policy, facts)
    assert result.tier == tier


def test_score_exactly_on_threshold_gets_the_higher_tier(policy):
    policy.tier_a_min_score = 30
    facts = TieringFacts(won_revenue=Decimal("5000000"))  # exactly 30 points
    assert compute_tiering(policy, facts).tier == Tier.A


def test_owner_assessment_beats_the_size_rule_for_potential(policy):
    by_size = compute_tiering(policy, TieringFacts(size=AccountSize.ENTERPRISE))
    assessed = compute_tiering(
        policy, TieringFacts(size=AccountSize.ENTERPRISE, assessments=owner(potential=10))
    )
    assert by_size.criteria[1].score == Decimal("90.00")
    assert assessed.criteria[1].score == Decimal("10.00")


def test_unassessed_criteria_score_zero_and_say_so(policy):
    result = compute_tiering(policy, TieringFacts())
    assert result.score == Decimal("0.00")
    assert result.tier == Tier.C
    assert {row["source"] for row in result.explanation()} == {"data", "none"}
    assert (result.attractiveness, result.position, result.strategy) == (
        GridLevel.LOW,
        GridLevel.LOW,
        Strategy.MINIMISE,
    )


@pytest.mark.parametrize(
    ("potential", "demonstration", "winnability", "cell"),
    [
        (100, 100, 50, (GridLevel.MID, GridLevel.MID)),  # 40+25 = 65 attractiveness -> mid
        (100, 100, 67, (GridLevel.MID, GridLevel.HIGH)),
        (0, 100, 33, (GridLevel.LOW, GridLevel.LOW)),  # 25 -> low; 33 < 34 -> low
        (100, 0, 34, (GridLevel.MID, GridLevel.MID)),  # 40 -> mid
    ],
)
def test_nine_grid_placement(policy, potential, demonstration, winnability, cell):
    facts = TieringFacts(
        assessments=owner(potential=potential, winnability=winnability, demonstration=demonstration)
    )
    result = compute_tiering(policy, facts)
    assert (result.attractiveness, result.position) == cell


def test_policy_validation_refuses_weights_not_adding_to_100(policy, db):
    from django.core.exceptions import ValidationError

    policy.weight_contribution = 50
    policy.tier_b_min_score = 80
    with pytest.raises(ValidationError) as error:
        policy.full_clean()
    assert {"weight_contribution", "tier_b_min_score"} <= set(error.value.message_dict)
