from salesops.exceptions import DomainError


class ResourceRuleError(DomainError):
    """A change to presales resources that the company's rules refuse."""


class TransitionRefused(ResourceRuleError):
    """A request cannot make this status change from where it is."""


class CapacityRefused(ResourceRuleError):
    """An assignment beyond an engineer's free capacity without the lead's reason; `reasons`
    names each engineer and the hours."""


class OutOfOrderRefused(ResourceRuleError):
    """Dispatching ahead of higher-priority approved requests without a reason; `reasons`
    names the requests that wait."""
