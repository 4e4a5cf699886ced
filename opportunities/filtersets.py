"""FilterSets shared by the opportunities API and the pipeline pages."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import Tier

from .choices import ActivityKind, ForecastCategory, GateKind, GateStatus, OpportunityStatus
from .models import Activity, Gate, Opportunity, StageChange


class OpportunityFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    stage = django_filters.CharFilter(
        field_name="stage__code", label=_("Stage (code)"), method="filter_codes"
    )
    customer_stage = django_filters.CharFilter(
        field_name="customer_stage__code", label=_("Customer stage (code)"), method="filter_codes"
    )
    status = django_filters.MultipleChoiceFilter(
        distinct=False, choices=OpportunityStatus.choices, label=_("Status")
    )
    forecast_category = django_filters.MultipleChoiceFilter(
        distinct=False, choices=ForecastCategory.choices, label=_("Forecast category")
    )
    # Ids, not model choices: a choice field would tell the caller which ids exist.
    owner = django_filters.NumberFilter(field_name="owner", label=_("Owner"))
    team = django_filters.NumberFilter(field_name="team", label=_("Team"))
    within_team = django_filters.NumberFilter(
        method="filter_within_team", label=_("Team and the teams below it")
    )
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    process = django_filters.CharFilter(field_name="process__code", label=_("Process (code)"))
    tier = django_filters.MultipleChoiceFilter(
        distinct=False, field_name="account__tier", choices=Tier.choices, label=_("Account tier")
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount", lookup_expr="gte", label=_("Amount from")
    )
    amount_max = django_filters.NumberFilter(
        field_name="amount", lookup_expr="lte", label=_("Amount up to")
    )
    close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Closing from")
    )
    close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Closing until")
    )

    class Meta:
        model = Opportunity
        fields = ["q", "stage", "status", "owner", "team", "account", "forecast_category"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(account__name__icontains=value))

    def filter_codes(self, queryset, name, value):
        """One code or several separated by commas: `stage=design,prove`."""
        codes = [code.strip() for code in value.split(",") if code.strip()]
        return queryset.filter(**{f"{name}__in": codes}) if codes else queryset

    def filter_within_team(self, queryset, name, value):
        from salesops.models import Team

        team = Team.objects.filter(pk=value).first()
        return queryset.filter(team__path__startswith=team.path) if team else queryset.none()


class StageChangeFilterSet(django_filters.FilterSet):
    changed_after = django_filters.DateTimeFilter(field_name="changed_at", lookup_expr="gte")
    changed_before = django_filters.DateTimeFilter(field_name="changed_at", lookup_expr="lte")
    opportunity = django_filters.NumberFilter(field_name="opportunity")

    class Meta:
        model = StageChange
        fields = ["opportunity", "kind"]


class GateFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=GateKind.choices)
    status = django_filters.MultipleChoiceFilter(distinct=False, choices=GateStatus.choices)
    opportunity = django_filters.NumberFilter(field_name="opportunity")

    class Meta:
        model = Gate
        fields = ["opportunity", "kind", "status"]


class ActivityFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(distinct=False, choices=ActivityKind.choices)
    opportunity = django_filters.NumberFilter(field_name="opportunity")
    occurred_after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    open_next_steps = django_filters.BooleanFilter(method="filter_open_next_steps")
    owner = django_filters.NumberFilter(field_name="owner")

    class Meta:
        model = Activity
        fields = ["opportunity", "kind", "owner"]

    def filter_open_next_steps(self, queryset, name, value):
        if value is None:
            return queryset
        open_steps = Q(next_step_done=False) & ~Q(next_step="")
        return queryset.filter(open_steps) if value else queryset.exclude(open_steps)
