"""Tiering arithmetic: criterion scores, weighted score, tier and nine-grid cell, with an
explanation of where every point came from. Pure functions of the policy and the facts; the
writes live in accounts.services."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .choices import NINE_GRID_STRATEGY, AccountSize, Criterion, GridLevel, Tier
from .models import TieringPolicy

HUNDRED = Decimal(100)
# Potential from company size when no budget is known.
SIZE_POTENTIAL = {
    AccountSize.SMALL: 20,
    AccountSize.MEDIUM: 45,
    AccountSize.LARGE: 70,
    AccountSize.ENTERPRISE: 90,
}


@dataclass(frozen=True)
class Assessment:
    score: int
    note: str


@dataclass(frozen=True)
class TieringFacts:
    """What tiering knows about one account."""

    won_revenue: Decimal = Decimal(0)
    buying_years: int = 0
    annual_budget: Decimal | None = None
    size: str = ""
    assessments: dict[str, Assessment] = field(default_factory=dict)


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    score: Decimal  # 0-100
    weight: int  # percent
    source: str  # "data", "owner" or "none"
    reason: str  # which rule gave the score; see describe()
    args: dict

    @property
    def points(self) -> Decimal:
        return _round(self.score * self.weight / HUNDRED)

    def as_dict(self) -> dict:
        return {
            "criterion": self.criterion,
            "score": str(self.score),
            "weight": self.weight,
            "points": str(self.points),
            "source": self.source,
            "reason": self.reason,
            "args": self.args,
        }


@dataclass(frozen=True)
class TieringResult:
    score: Decimal
    tier: str
    attractiveness: str
    position: str
    criteria: list[CriterionScore]

    @property
    def strategy(self) -> str:
        return NINE_GRID_STRATEGY[(GridLevel(self.attractiveness), GridLevel(self.position))]

    def explanation(self) -> list[dict]:
        return [criterion.as_dict() for criterion in self.criteria]


def _round(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _capped_ratio(value: Decimal, full: Decimal) -> Decimal:
    return _round(min(HUNDRED, Decimal(value) * HUNDRED / Decimal(full)))


def _criterion_score(policy: TieringPolicy, criterion: str, facts: TieringFacts) -> CriterionScore:
    weight = policy.weight(criterion)
    assessment = facts.assessments.get(criterion)
    if criterion == Criterion.CONTRIBUTION:
        score = _capped_ratio(facts.won_revenue, policy.contribution_full_revenue)
        return CriterionScore(
            criterion,
            score,
            weight,
            "data",
            "won_revenue",
            {
                "won": f"{facts.won_revenue:,.0f}",
                "full": f"{policy.contribution_full_revenue:,.0f}",
            },
        )
    if criterion == Criterion.CONTINUITY:
        score = _capped_ratio(Decimal(facts.buying_years), Decimal(policy.continuity_full_years))
        return CriterionScore(
            criterion,
            score,
            weight,
            "data",
            "buying_years",
            {"years": facts.buying_years, "full": policy.continuity_full_years},
        )
    if assessment is not None:
        return CriterionScore(
            criterion,
            _round(Decimal(assessment.score)),
            weight,
            "owner",
            "owner",
            {"note": assessment.note},
        )
    if criterion == Criterion.POTENTIAL and facts.annual_budget is not None:
        score = _capped_ratio(facts.annual_budget, policy.potential_full_budget)
        return CriterionScore(
            criterion,
            score,
            weight,
            "data",
            "budget",
            {
                "budget": f"{facts.annual_budget:,.0f}",
                "full": f"{policy.potential_full_budget:,.0f}",
            },
        )
    if criterion == Criterion.POTENTIAL and facts.size:
        score = _round(Decimal(SIZE_POTENTIAL[AccountSize(facts.size)]))
        return CriterionScore(criterion, score, weight, "data", "size", {"size": facts.size})
    return CriterionScore(criterion, Decimal("0.00"), weight, "none", "none", {})


def describe(item: dict) -> str:
    """One line of a stored explanation in the reader's language: the explanation keeps the
    facts, not sentences, so that a recompute at night reads right in Chinese and English."""
    args = item.get("args", {})
    match item.get("reason"):
        case "won_revenue":
            return _("%(won)s won to date; %(full)s scores 100") % args
        case "buying_years":
            return _("won deals in %(years)s distinct years; %(full)s score 100") % args
        case "budget":
            return _("yearly budget %(budget)s; %(full)s scores 100") % args
        case "size":
            return _("from company size: %(size)s") % {"size": AccountSize(args["size"]).label}
        case "owner":
            return _("owner's assessment: %(note)s") % args
        case _:
            return _("not assessed yet")


def _level(policy: TieringPolicy, value: Decimal) -> str:
    if value >= policy.grid_high_min:
        return GridLevel.HIGH
    if value >= policy.grid_mid_min:
        return GridLevel.MID
    return GridLevel.LOW


def compute_tiering(policy: TieringPolicy, facts: TieringFacts) -> TieringResult:
    criteria = [_criterion_score(policy, criterion, facts) for criterion in Criterion.values]
    by_name = {criterion.criterion: criterion.score for criterion in criteria}
    score = _round(sum((criterion.points for criterion in criteria), Decimal(0)))
    if score >= policy.tier_a_min_score:
        tier = Tier.A
    elif score >= policy.tier_b_min_score:
        tier = Tier.B
    else:
        tier = Tier.C
    attractiveness = _round(
        (
            by_name[Criterion.POTENTIAL] * policy.attractiveness_weight_potential
            + by_name[Criterion.CONTRIBUTION] * policy.attractiveness_weight_contribution
            + by_name[Criterion.DEMONSTRATION] * policy.attractiveness_weight_demonstration
        )
        / HUNDRED
    )
    return TieringResult(
        score=score,
        tier=tier,
        attractiveness=_level(policy, attractiveness),
        position=_level(policy, by_name[Criterion.WINNABILITY]),
        criteria=criteria,
    )
