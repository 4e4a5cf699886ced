from django.db import models
from django.utils.translation import gettext_lazy as _


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    BANKING = "banking", _("Banking")
    INSURANCE = "insurance", _("Insurance")
    TELECOM = "telecom", _("Telecommunications")
    ENERGY = "energy", _("Energy and utilities")
    GOVERNMENT = "government", _("Government")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    RETAIL = "retail", _("Retail")
    TECHNOLOGY = "technology", _("Technology")
    LOGISTICS = "logistics", _("Transport and logistics")
    MEDIA = "media", _("Media and entertainment")
    REAL_ESTATE = "real_estate", _("Real estate and construction")
    OTHER = "other", _("Other")


class AccountSize(models.TextChoices):
    SMALL = "small", _("Small (under 100 employees)")
    MEDIUM = "medium", _("Medium (100–999)")
    LARGE = "large", _("Large (1,000–9,999)")
    ENTERPRISE = "enterprise", _("Enterprise (10,000 or more)")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", _("Closed")


class Tier(models.TextChoices):
    A = "A", _("A · strategic")
    B = "B", _("B · key")
    C = "C", _("C · potential")


class Criterion(models.TextChoices):
    CONTRIBUTION = "contribution", _("Contribution")
    POTENTIAL = "potential", _("Potential")
    WINNABILITY = "winnability", _("Winnability")
    DEMONSTRATION = "demonstration", _("Demonstration value")
    CONTINUITY = "continuity", _("Continuity of demand")


class GridLevel(models.TextChoices):
    HIGH = "high", _("High")
    MID = "mid", _("Medium")
    LOW = "low", _("Low")


class AccountTeamRole(models.TextChoices):
    ACCOUNT_OWNER = "account_owner", _("Account owner")
    SOLUTION_OWNER = "solution_owner", _("Solution owner")
    DELIVERY_OWNER = "delivery_owner", _("Delivery owner")


class TierChangeSource(models.TextChoices):
    RECOMPUTE = "recompute", _("Recompute")
    OVERRIDE = "override", _("Manager override")
    OVERRIDE_CLEARED = "override_cleared", _("Override cleared")
    CREATED = "created", _("Account created")


class PurchaseRole(models.TextChoices):
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    DECISION_MAKER = "decision_maker", _("Decision maker")
    TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
    USER = "user", _("User")
    PROCUREMENT = "procurement", _("Procurement")
    COACH = "coach", _("Coach")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")


class Influence(models.TextChoices):
    HIGH = "high", _("High")
    MID = "mid", _("Medium")
    LOW = "low", _("Low")


class Attitude(models.TextChoices):
    CHAMPION = "champion", _("Champion")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")
    BACKS_COMPETITOR = "backs_competitor", _("Backs a competitor")


class RelationshipLevel(models.IntegerChoices):
    NONE = 0, _("0 · no contact")
    ACQUAINTED = 1, _("1 · acquainted")
    TRUSTED = 2, _("2 · trusts us")
    SUPPORTS = 3, _("3 · supports us")
    ALLY = 4, _("4 · ally, shares inside information")


# The nine-grid: (attractiveness, competitive position) -> account strategy.
class Strategy(models.TextChoices):
    INVEST = "invest", _("Invest to win")
    GROW = "grow", _("Grow selectively")
    BUILD_POSITION = "build_position", _("Build our position")
    DEFEND = "defend", _("Defend and deepen")
    MAINTAIN = "maintain", _("Maintain")
    PROBE = "probe", _("Probe opportunistically")
    HARVEST = "harvest", _("Harvest")
    SERVE_EFFICIENTLY = "serve_efficiently", _("Serve efficiently")
    MINIMISE = "minimise", _("Minimise effort")


NINE_GRID_STRATEGY = {
    (GridLevel.HIGH, GridLevel.HIGH): Strategy.INVEST,
    (GridLevel.HIGH, GridLevel.MID): Strategy.GROW,
    (GridLevel.HIGH, GridLevel.LOW): Strategy.BUILD_POSITION,
    (GridLevel.MID, GridLevel.HIGH): Strategy.DEFEND,
    (GridLevel.MID, GridLevel.MID): Strategy.MAINTAIN,
    (GridLevel.MID, GridLevel.LOW): Strategy.PROBE,
    (GridLevel.LOW, GridLevel.HIGH): Strategy.HARVEST,
    (GridLevel.LOW, GridLevel.MID): Strategy.SERVE_EFFICIENTLY,
    (GridLevel.LOW, GridLevel.LOW): Strategy.MINIMISE,
}


# Account plans of strategic (tier A) accounts.
class PlanGoalKind(models.TextChoices):
    REFERENCE_SITE = "reference_site", _("Reference site")
    NEW_BUSINESS_LINE = "new_business_line", _("New business line")
    EXECUTIVE_RELATIONSHIP = "executive_relationship", _("Executive relationship")
    OTHER = "other", _("Other")


class PlanGoalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class BidPosition(models.TextChoices):
    """One side's position on a wish-list item."""

    UNDECIDED = "undecided", _("Undecided")
    BID = "bid", _("Bid")
    NO_BID = "no_bid", _("No bid")


class BidDecision(models.TextChoices):
    """The joint decision on a wish-list item: agreed by both sides, or escalated."""

    PENDING = "pending", _("Pending")
    BID = "bid", _("Bid")
    NO_BID = "no_bid", _("No bid")
    ESCALATED = "escalated", _("Escalated")


class WishSide(models.TextChoices):
    """Who takes a position on a wish-list item: the region or the strategic account team."""

    REGION = "region", _("Region")
    ACCOUNT_TEAM = "account_team", _("Account team")


class Quarter(models.IntegerChoices):
    Q1 = 1, _("Q1")
    Q2 = 2, _("Q2")
    Q3 = 3, _("Q3")
    Q4 = 4, _("Q4")
