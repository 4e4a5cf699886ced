"""FilterSets shared by the resources API and the dispatch pages."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import RequestStatus, RequestType
from .models import EngineerProfile, ResourceRequest, TimeEntry


class ResourceRequestFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        distinct=False, choices=RequestStatus.choices, label=_("Status")
    )
    kind = django_filters.MultipleChoiceFilter(
        distinct=False, choices=RequestType.choices, label=_("Type")
    )
    # Ids, not model choices: a choice field would tell the caller which ids exist.
    opportunity = django_filters.NumberFilter(field_name="opportunity", label=_("Opportunity"))
    requester = django_filters.NumberFilter(field_name="requester", label=_("Requester"))
    priority_min = django_filters.NumberFilter(
        field_name="priority_score", lookup_expr="gte", label=_("Priority from")
    )
    priority_max = django_filters.NumberFilter(
        field_name="priority_score", lookup_expr="lte", label=_("Priority up to")
    )
    # The wanted window overlaps the range: it ends on or after `wanted_from` and starts on or
    # before `wanted_until`.
    wanted_from = django_filters.DateFilter(
        field_name="wanted_end", lookup_expr="gte", label=_("Wanted from")
    )
    wanted_until = django_filters.DateFilter(
        field_name="wanted_start", lookup_expr="lte", label=_("Wanted until")
    )

    class Meta:
        model = ResourceRequest
        fields = ["status", "kind", "opportunity", "requester"]


class TimeEntryFilterSet(django_filters.FilterSet):
    engineer = django_filters.NumberFilter(
        field_name="assignment__engineer", label=_("Engineer (profile id)")
    )
    assignment = django_filters.NumberFilter(field_name="assignment", label=_("Assignment"))
    request = django_filters.NumberFilter(field_name="assignment__request", label=_("Request"))
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("From"))
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Until"))

    class Meta:
        model = TimeEntry
        fields = ["engineer", "assignment", "request"]


class EngineerFilterSet(django_filters.FilterSet):
    skill = django_filters.NumberFilter(field_name="skills", label=_("Has the skill (id)"))
    team = django_filters.NumberFilter(field_name="user__team", label=_("Team"))
    is_active = django_filters.BooleanFilter(label=_("Takes assignments"))

    class Meta:
        model = EngineerProfile
        fields = ["skill", "team", "is_active"]
