from salesops.exceptions import DomainError


class OpportunityRuleError(DomainError):
    """A change to an opportunity that the company's rules refuse."""


class StageMoveRefused(OpportunityRuleError):
    """A stage move that cannot happen yet; `reasons` lists what is missing."""
