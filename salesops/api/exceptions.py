"""Turn domain and model validation errors into the API's error shape.

Domain errors answer {"detail": ..., "reasons": [...]} with their own status (400, 403, 409);
Django ValidationErrors raised by model.clean() become DRF 400s with field messages.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler

from salesops.exceptions import DomainError


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail, "reasons": exc.reasons}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        if "__all__" in detail:
            detail["non_field_errors"] = detail.pop("__all__")
        exc = serializers.ValidationError(detail)
    return exception_handler(exc, context)
