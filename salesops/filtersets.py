"""FilterSets shared by the organisation's API and list pages."""

import django_filters

from .choices import Role, TeamKind
from .models import Target, Team, User


class UserFilterSet(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    in_team = django_filters.NumberFilter(method="filter_in_team", label="In team subtree (id)")

    class Meta:
        model = User
        fields = ["role", "team", "is_active"]

    def filter_in_team(self, queryset, name, value):
        team = Team.objects.filter(pk=value).first()
        return queryset.filter(team__in=team.subtree()) if team else queryset.none()


class TeamFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=TeamKind.choices)
    within = django_filters.NumberFilter(method="filter_within", label="Within team subtree (id)")

    class Meta:
        model = Team
        fields = ["kind", "manager", "is_active"]

    def filter_within(self, queryset, name, value):
        team = Team.objects.filter(pk=value).first()
        return queryset.filter(path__startswith=team.path) if team else queryset.none()


class TargetFilterSet(django_filters.FilterSet):
    month_after = django_filters.DateFilter(field_name="month", lookup_expr="gte")
    month_before = django_filters.DateFilter(field_name="month", lookup_expr="lte")

    class Meta:
        model = Target
        fields = ["team", "user", "month"]
