"""Building blocks every app's API shares: versioned edits, stable ordering, the filter
backends and the administrator permission."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission


class VersionedUpdateMixin:
    """A PATCH carries the `version` the client read, so that the service can refuse a stale
    edit (409) instead of overwriting somebody else's change."""

    #: relations an edit cannot change, with the way to change them instead; sending the
    #: current value back is not a change
    fixed_fields: dict[str, str] = {}

    def validate(self, attrs):
        errors = {}
        for field, message in self.fixed_fields.items():
            sent = self.initial_data.get(field)
            if sent is not None and str(sent) != str(getattr(self.instance, f"{field}_id")):
                errors[field] = [message]
        if "version" not in attrs:
            errors["version"] = [_("Send the version you read, to protect others' changes.")]
        if errors:
            raise serializers.ValidationError(errors)
        return super().validate(attrs)


class IsAdministrator(BasePermission):
    message = gettext_lazy("Only an administrator can do this.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class StableOrderingFilter(OrderingFilter):
    """Ordering with the primary key as the last key, so that pages do not repeat or skip
    rows that tie on the chosen field (many accounts share a tier)."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if ordering and not {"pk", "-pk", "id", "-id"} & set(ordering):
            ordering = [*ordering, "pk"]
        return ordering


FILTER_BACKENDS = [DjangoFilterBackend, StableOrderingFilter]
