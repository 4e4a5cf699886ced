from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestType(models.TextChoices):
    TECHNICAL_EXCHANGE = "technical_exchange", _("Technical exchange")
    SOLUTION_DESIGN = "solution_design", _("Solution design")
    DEMO = "demo", _("Demo")
    PROOF_OF_CONCEPT = "poc", _("Proof of concept")
    BID_DOCUMENT = "bid_document", _("Bid / tender document")
    SITE_SURVEY = "site_survey", _("Site survey")
    BENCHMARK = "benchmark", _("Benchmark")
    OTHER = "other", _("Other")


# The standard technical exchange is open to every deal; the rest needs ATI (DESIGN.md §1.3).
TYPES_WITHOUT_ATI = {RequestType.TECHNICAL_EXCHANGE}


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    EVALUATED = "evaluated", _("Evaluated")
    CANCELLED = "cancelled", _("Cancelled")


# Requests that can still move on; cancelling is possible from each of them.
OPEN_STATUSES = (
    RequestStatus.DRAFT,
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.DISPATCHED,
    RequestStatus.IN_PROGRESS,
)
# Requests whose assignments hold engineers' capacity.
BOOKING_STATUSES = (RequestStatus.DISPATCHED, RequestStatus.IN_PROGRESS)
# Requests that an engineer may log hours on.
LOGGABLE_STATUSES = (RequestStatus.IN_PROGRESS, RequestStatus.DONE)


class Actor(models.TextChoices):
    """Who may make a transition of a request."""

    REQUESTER = "requester", _("the requester or someone working on the deal")
    LEAD = "lead", _("a presales lead")
    ENGINEER = "engineer", _("an engineer assigned to the request")


class TechOutcome(models.TextChoices):
    TECH_WIN = "tech_win", _("Technical win")
    TECH_LOSS = "tech_loss", _("Technical loss")
    NOT_APPLICABLE = "n_a", _("Not applicable")


class SkillLevel(models.IntegerChoices):
    BASIC = 1, _("1 · basic")
    WORKING = 2, _("2 · working")
    SOLID = 3, _("3 · solid")
    ADVANCED = 4, _("4 · advanced")
    EXPERT = 5, _("5 · expert")
