from salesops.exceptions import DomainError


class AccountRuleError(DomainError):
    """An account change that the company's rules refuse, with the reasons."""
