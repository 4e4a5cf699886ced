"""The domain error shared by every app. Each app subclasses it (e.g. StageMoveRefused) so that
views can show the reasons as form errors and the API can answer 400/409 with
{"detail": ..., "reasons": [...]}."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, detail: str, reasons: list[str] | None = None):
        super().__init__(detail)
        self.detail = str(detail)
        self.reasons = [str(reason) for reason in (reasons or [])]

    def __str__(self) -> str:
        return "; ".join([self.detail, *self.reasons]) if self.reasons else self.detail


class PermissionRefused(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Somebody else changed the record first; reload and try again."""

    status_code = 409


class OrganisationRuleError(DomainError):
    pass
