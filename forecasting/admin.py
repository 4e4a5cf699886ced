"""Forecasting as admins see it. Alert rules are the only thing edited here: whether each runs,
its severity and its thresholds, one form field per parameter of the rule, saved through
forecasting.alerts.alert_rule_update. Alerts are shown read-only, with actions to
acknowledge and resolve them through the alert services. What the jobs compute (snapshots,
statistics, rep months, forecasts, recomputes) is shown read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salesops.exceptions import DomainError

from . import alerts
from .models import Alert, AlertRule, ForecastRun, FunnelSnapshot, JobRun, RepMonth, StageStatistic


def _param_field(param: alerts.Param) -> forms.Field:
    common = {
        "label": param.label,
        "help_text": param.help,
        "min_value": param.min,
        "max_value": param.max,
    }
    if param.type == alerts.INT:
        return forms.IntegerField(**common)
    return forms.DecimalField(max_digits=14, decimal_places=4, **common)


class AlertRuleForm(forms.ModelForm):
    """The rule's thresholds as one field each (the subclass made for a rule declares them);
    `clean()` checks them against the rule's parameter list with the service's own rules."""

    param_names: tuple[str, ...] = ()

    class Meta:
        model = AlertRule
        fields = ["is_active", "severity"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = alerts.rule_params(self.instance)
            for name in self.param_names:
                self.fields[name].initial = current[name]

    def clean(self):
        cleaned = super().clean()
        raw = {name: cleaned[name] for name in self.param_names if name in cleaned}
        if len(raw) < len(self.param_names):
            return cleaned  # a field already has its own error
        try:
            self.cleaned_params = alerts.params_clean(self.instance.kind, raw)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages_)
        return cleaned


def rule_form_class(kind: str) -> type[AlertRuleForm]:
    spec = alerts.rule_spec(kind)
    declared = {param.name: _param_field(param) for param in spec.params}
    declared["param_names"] = tuple(declared)
    return type(f"{kind.title().replace('_', '')}RuleForm", (AlertRuleForm,), declared)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["kind", "is_active", "severity", "thresholds", "updated_at", "updated_by"]
    list_filter = ["is_active", "severity"]
    list_select_related = ["updated_by"]
    readonly_fields = ["kind", "updated_at", "updated_by"]

    @admin.display(description=_("thresholds"))
    def thresholds(self, rule):
        values = alerts.rule_params(rule)
        return ", ".join(
            f"{param.label}: {param.to_json(values[param.name])}"
            for param in alerts.rule_spec(rule.kind).params
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = rule_form_class(obj.kind)
        kwargs["form"] = form
        kwargs["fields"] = ["is_active", "severity", *form.param_names]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        names = [param.name for param in alerts.rule_spec(obj.kind).params]
        fieldsets = [(None, {"fields": ["kind", "is_active", "severity"]})]
        if names:
            fieldsets.append((_("Thresholds"), {"fields": names}))
        fieldsets.append((None, {"fields": ["updated_at", "updated_by"]}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        updated = alerts.alert_rule_update(
            rule=obj,
            by=request.user,
            is_active=form.cleaned_data["is_active"],
            severity=form.cleaned_data["severity"],
            params=form.cleaned_params,
        )
        obj.params, obj.updated_by, obj.updated_at = (
            updated.params,
            updated.updated_by,
            updated.updated_at,
        )

    def has_add_permission(self, request):
        return False  # one rule per kind, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and getattr(request.user, "is_admin", False)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Alerts change through the scan and the alert services only."""

    list_display = [
        "kind",
        "severity",
        "status",
        "subject_kind",
        "explanation",
        "team",
        "owner",
        "last_seen_at",
    ]
    list_filter = ["status", "kind", "severity", "subject_kind"]
    list_select_related = ["team", "owner", "opportunity", "request"]
    search_fields = ["dedup_key", "opportunity__name", "owner__username", "owner__name"]
    date_hierarchy = "first_seen_at"
    readonly_fields = ["explanation"]
    actions = ["acknowledge", "resolve"]

    @admin.display(description=_("explanation"))
    def explanation(self, alert):
        return alerts.describe(alert)

    def _apply(self, request, queryset, service, done_message):
        done, refusals = 0, []
        for alert in queryset:
            try:
                service(alert=alert, by=request.user)
            except DomainError as error:
                refusals.append(f"{alert}: {error}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        for refusal in refusals:
            self.message_user(request, refusal, messages.ERROR)

    @admin.action(description=_("Acknowledge the selected alerts"))
    def acknowledge(self, request, queryset):
        self._apply(
            request,
            queryset,
            alerts.alert_acknowledge,
            lambda count: (
                ngettext("%(count)d alert acknowledged.", "%(count)d alerts acknowledged.", count)
                % {"count": count}
            ),
        )

    @admin.action(description=_("Resolve the selected alerts"))
    def resolve(self, request, queryset):
        self._apply(
            request,
            queryset,
            alerts.alert_resolve,
            lambda count: (
                ngettext("%(count)d alert resolved.", "%(count)d alerts resolved.", count)
                % {"count": count}
            ),
        )


@admin.register(FunnelSnapshot)
class FunnelSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["day", "team", "owner", "stage", "count", "amount", "weighted_amount"]
    list_filter = ["team", "process"]
    list_select_related = ["team", "owner", "stage"]
    date_hierarchy = "day"


@admin.register(StageStatistic)
class StageStatisticAdmin(ReadOnlyAdmin):
    list_display = [
        "stage",
        "team",
        "sample_size",
        "conversion_rate",
        "win_rate",
        "median_days",
        "p80_days",
        "computed_on",
    ]
    list_filter = ["process", "team"]
    list_select_related = ["stage", "team"]


@admin.register(RepMonth)
class RepMonthAdmin(ReadOnlyAdmin):
    list_display = [
        "month",
        "owner",
        "team",
        "won_count",
        "won_amount",
        "lost_count",
        "activities_count",
    ]
    list_filter = ["team"]
    list_select_related = ["owner", "team"]
    date_hierarchy = "month"


@admin.register(ForecastRun)
class ForecastRunAdmin(ReadOnlyAdmin):
    list_display = [
        "as_of",
        "method",
        "scope",
        "team",
        "owner",
        "period_kind",
        "period_start",
        "amount",
        "target",
    ]
    list_filter = ["method", "scope", "period_kind"]
    list_select_related = ["team", "owner"]
    date_hierarchy = "as_of"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "status", "progress", "step", "started_by", "finished_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["started_by"]
