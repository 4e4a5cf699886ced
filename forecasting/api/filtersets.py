"""FilterSets of the forecasting API's lists: forecasts and alerts."""

import django_filters
from django.utils.translation import gettext_lazy as _

from salesops.models import Team

from ..choices import (
    AlertKind,
    AlertStatus,
    ForecastMethod,
    PeriodKind,
    ScopeKind,
    Severity,
    SubjectKind,
)
from ..models import Alert, ForecastRun


class ForecastRunFilterSet(django_filters.FilterSet):
    method = django_filters.MultipleChoiceFilter(
        distinct=False, choices=ForecastMethod.choices, label=_("Method")
    )
    scope = django_filters.MultipleChoiceFilter(
        distinct=False, choices=ScopeKind.choices, label=_("Scope")
    )
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices, label=_("Period"))
    # Ids, not model choices: a choice field would tell the caller which ids exist.
    team = django_filters.NumberFilter(field_name="team", label=_("Team"))
    owner = django_filters.NumberFilter(field_name="owner", label=_("Rep"))
    period_start = django_filters.DateFilter(field_name="period_start", label=_("Period start"))
    as_of = django_filters.DateFilter(field_name="as_of", label=_("As of"))
    as_of_after = django_filters.DateFilter(
        field_name="as_of", lookup_expr="gte", label=_("As of, from")
    )
    as_of_before = django_filters.DateFilter(
        field_name="as_of", lookup_expr="lte", label=_("As of, until")
    )

    class Meta:
        model = ForecastRun
        fields = ["method", "scope", "team", "owner", "period_kind", "period_start", "as_of"]


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        distinct=False, choices=AlertStatus.choices, label=_("Status")
    )
    kind = django_filters.MultipleChoiceFilter(
        distinct=False, choices=AlertKind.choices, label=_("Rule")
    )
    severity = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Severity.choices, label=_("Severity")
    )
    subject_kind = django_filters.MultipleChoiceFilter(
        distinct=False, choices=SubjectKind.choices, label=_("Subject")
    )
    team = django_filters.NumberFilter(field_name="team", label=_("Team"))
    within_team = django_filters.NumberFilter(
        method="filter_within_team", label=_("Team and the teams below it")
    )
    owner = django_filters.NumberFilter(field_name="owner", label=_("Responsible"))
    opportunity = django_filters.NumberFilter(field_name="opportunity", label=_("Opportunity"))

    class Meta:
        model = Alert
        fields = ["status", "kind", "severity", "subject_kind", "team", "owner", "opportunity"]

    def filter_within_team(self, queryset, name, value):
        team = Team.objects.filter(pk=value).first()
        return queryset.filter(team__path__startswith=team.path) if team else queryset.none()
