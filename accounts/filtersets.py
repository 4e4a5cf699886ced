"""FilterSets shared by the accounts API and the account list page."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesops.models import Team

from .choices import AccountStatus, GridLevel, Industry, Tier, TierChangeSource
from .models import Account, Contact, TierChange


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    tier = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Tier.choices, label=_("Tier")
    )
    industry = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Industry.choices, label=_("Industry")
    )
    status = django_filters.MultipleChoiceFilter(
        distinct=False, choices=AccountStatus.choices, label=_("Status")
    )
    region = django_filters.ModelChoiceFilter(
        queryset=Team.objects.filter(kind="region"), label=_("Region")
    )
    # Ids, not model choices: a choice field would answer "no such record" for an id the
    # caller cannot see, and so tell them which ids exist.
    owner = django_filters.NumberFilter(field_name="owner", label=_("Owner"))
    owner_team = django_filters.NumberFilter(field_name="owner_team", label=_("Owner team"))
    attractiveness = django_filters.ChoiceFilter(
        choices=GridLevel.choices, label=_("Attractiveness")
    )
    position = django_filters.ChoiceFilter(choices=GridLevel.choices, label=_("Position"))
    overridden = django_filters.BooleanFilter(
        method="filter_overridden", label=_("Tier overridden")
    )
    parent = django_filters.NumberFilter(field_name="parent", label=_("Parent account"))

    class Meta:
        model = Account
        fields = ["q", "tier", "industry", "status", "region", "owner", "owner_team", "parent"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(location__icontains=value))

    def filter_overridden(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(tier_override="") if value else queryset.filter(tier_override="")


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))

    class Meta:
        model = Contact
        fields = ["q", "account", "is_active", "department"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(title__icontains=value)
            | Q(email__icontains=value)
            | Q(department__icontains=value)
        )


class TierChangeFilterSet(django_filters.FilterSet):
    source = django_filters.MultipleChoiceFilter(distinct=False, choices=TierChangeSource.choices)
    changed_after = django_filters.DateTimeFilter(field_name="changed_at", lookup_expr="gte")
    changed_before = django_filters.DateTimeFilter(field_name="changed_at", lookup_expr="lte")

    class Meta:
        model = TierChange
        fields = ["account", "source", "new_tier", "old_tier"]
