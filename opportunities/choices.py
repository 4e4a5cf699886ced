from django.db import models
from django.utils.translation import gettext_lazy as _


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ABANDONED = "abandoned", _("Abandoned")


CLOSED_STATUSES = {OpportunityStatus.WON, OpportunityStatus.LOST, OpportunityStatus.ABANDONED}


class ForecastCategory(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    OMITTED = "omitted", _("Omitted")


class LostReason(models.TextChoices):
    PRICE = "price", _("Price")
    COMPETITOR = "competitor", _("Lost to a competitor")
    NO_BUDGET = "no_budget", _("No budget")
    NO_DECISION = "no_decision", _("No decision / project stopped")
    PRODUCT_FIT = "product_fit", _("Product does not fit")
    RELATIONSHIP = "relationship", _("Relationship")
    TIMING = "timing", _("Timing")
    QUALIFIED_OUT = "qualified_out", _("We qualified it out")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    EXISTING_CUSTOMER = "existing_customer", _("Existing customer")
    REFERRAL = "referral", _("Referral")
    PARTNER = "partner", _("Partner")
    MARKETING = "marketing", _("Marketing campaign")
    TENDER = "tender", _("Public tender")
    OUTBOUND = "outbound", _("Rep's own prospecting")
    ACCOUNT_PLAN = "account_plan", _("Account plan wish list")
    OTHER = "other", _("Other")


class ThreatLevel(models.TextChoices):
    HIGH = "high", _("High")
    MID = "mid", _("Medium")
    LOW = "low", _("Low")


class EvidenceType(models.TextChoices):
    ANY = "any", _("Any evidence")
    NOTE = "note", _("Note")
    ACTIVITY = "activity", _("Linked activity")
    FILE = "file", _("Uploaded file")


class AidKind(models.TextChoices):
    GUIDANCE = "guidance", _("Guidance")
    QUESTIONS = "questions", _("Question list")
    TEMPLATE = "template", _("Template")


class CollaboratorRole(models.TextChoices):
    SOLUTION_OWNER = "solution_owner", _("Solution owner")
    DELIVERY_OWNER = "delivery_owner", _("Delivery owner")
    PRESALES = "presales", _("Presales")
    FINANCE = "finance", _("Finance")


class GateKind(models.TextChoices):
    ATI = "ATI", _("ATI · approve to invest")
    ATB = "ATB", _("ATB · approve to bid")
    ATC = "ATC", _("ATC · approve to contract")


class GateStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


GATE_PASSED = {GateStatus.APPROVED, GateStatus.APPROVED_WITH_CONDITIONS}


class Qualification(models.TextChoices):
    """The eight MEDDPICC facts, in their usual order."""

    METRICS = "metrics", _("Metrics")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    DECISION_CRITERIA = "decision_criteria", _("Decision criteria")
    DECISION_PROCESS = "decision_process", _("Decision process")
    PAPER_PROCESS = "paper_process", _("Paper process")
    IDENTIFIED_PAIN = "identified_pain", _("Identified pain")
    CHAMPION = "champion", _("Champion")
    COMPETITION = "competition", _("Competition")


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    DEMO = "demo", _("Demo")
    SITE_VISIT = "site_visit", _("Site visit")
    EMAIL = "email", _("E-mail")
    PROPOSAL = "proposal", _("Proposal")


class StageChangeKind(models.TextChoices):
    ADVANCE = "advance", _("Advance")
    SKIP = "skip", _("Skip ahead")
    BACK = "back", _("Move back")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    ABANDONED = "abandoned", _("Abandoned")
    REOPENED = "reopened", _("Reopened")
    CREATED = "created", _("Created")


class TrackedField(models.TextChoices):
    """Fields whose every change is kept: the alerts read their history."""

    AMOUNT = "amount", _("Amount")
    CLOSE_DATE = "expected_close_date", _("Expected close date")
    PROBABILITY = "probability", _("Win probability")
    FORECAST_CATEGORY = "forecast_category", _("Forecast category")
    CUSTOMER_STAGE = "customer_stage", _("Customer purchase stage")
    OWNER = "owner", _("Owner")
