"""Shapes of the forecasting API.

Query serializers check the parameters of the dashboard reads (funnel, scorecards): types,
known codes and ranges; whether the caller may read the team or rep asked for is decided by
forecasting.selectors.scope_for, whose refusal answers 403. Response serializers describe the
dicts that the selectors return; alerts carry their explanation in the request's language.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from opportunities.api.serializers import TeamBriefSerializer, UserBriefSerializer
from opportunities.models import Opportunity, SalesProcess

from ..choices import ScopeKind
from ..models import Alert, ForecastRun

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}
#: The longest range of months a scorecard request may cover.
MAX_SCORECARD_MONTHS = 24


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(read_only=True, **MONEY, **kwargs)


def _rate(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(read_only=True, allow_null=True, **RATE, **kwargs)


# Query parameters


class ScopeQuerySerializer(serializers.Serializer):
    team = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("A team (with the teams below it) that the caller leads."),
    )
    owner = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("A rep the caller may see; wins over team."),
    )


class FunnelQuerySerializer(ScopeQuerySerializer):
    day = serializers.DateField(
        required=False,
        help_text=gettext_lazy("The funnel as it stood on the latest snapshot up to this day."),
    )
    process = serializers.SlugRelatedField(
        slug_field="code",
        queryset=SalesProcess.objects.all(),
        required=False,
        help_text=gettext_lazy("Sales process (code); the default process when not given."),
    )


def _current_quarter_start() -> datetime.date:
    today = timezone.localdate()
    return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)


class ScorecardQuerySerializer(ScopeQuerySerializer):
    start = serializers.DateField(
        required=False,
        input_formats=["%Y-%m", "iso-8601"],
        help_text=gettext_lazy("First month (YYYY-MM); the current quarter's first by default."),
    )
    end = serializers.DateField(
        required=False,
        input_formats=["%Y-%m", "iso-8601"],
        help_text=gettext_lazy("Last month (YYYY-MM); the current month by default."),
    )

    def validate(self, attrs):
        start = (attrs.get("start") or _current_quarter_start()).replace(day=1)
        end = (attrs.get("end") or timezone.localdate()).replace(day=1)
        if end < start:
            raise serializers.ValidationError({"end": [_("The last month is before the first.")]})
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months > MAX_SCORECARD_MONTHS:
            raise serializers.ValidationError(
                {
                    "end": [
                        _("Ask for at most %(count)d months at a time.")
                        % {"count": MAX_SCORECARD_MONTHS}
                    ]
                }
            )
        return {**attrs, "start": start, "end": end}


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, trim_whitespace=True
    )


# Responses


class ScopeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ScopeKind.choices, read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True)


class ProcessBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("In the request's language.")
    )

    class Meta:
        model = SalesProcess
        fields = ["code", "name"]
        read_only_fields = fields


class FunnelStageSerializer(serializers.Serializer):
    stage_id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(
        read_only=True, help_text=gettext_lazy("In the request's language.")
    )
    order = serializers.IntegerField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    amount = _money()
    weighted_amount = _money()
    conversion_rate = _rate(
        help_text=gettext_lazy(
            "Share of deals reaching this stage that moved on to a later one, from history."
        )
    )
    drill_url = serializers.CharField(
        read_only=True, help_text=gettext_lazy("The page listing the open deals behind the stage.")
    )


class FunnelTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True)
    amount = _money()
    weighted_amount = _money()


class FunnelSerializer(serializers.Serializer):
    scope = ScopeSerializer(read_only=True)
    day = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("The snapshot day used; null when there is no snapshot yet."),
    )
    process = ProcessBriefSerializer(read_only=True, allow_null=True)
    stages = FunnelStageSerializer(many=True, read_only=True)
    totals = FunnelTotalsSerializer(read_only=True)


class ForecastRunSerializer(serializers.ModelSerializer):
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    figures = serializers.JSONField(
        read_only=True,
        help_text=gettext_lazy(
            "The parts of the forecast: for the categories won so far, commit, best case and "
            "pipeline; for the model expected, low and high."
        ),
    )

    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "method",
            "method_display",
            "scope",
            "team",
            "owner",
            "period_kind",
            "period_start",
            "period_end",
            "as_of",
            "amount",
            "figures",
            "target",
            "computed_at",
        ]
        read_only_fields = fields


class OpportunityBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Opportunity
        fields = ["id", "name"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    explanation = serializers.SerializerMethodField(
        help_text=gettext_lazy("What was found, in the request's language.")
    )
    opportunity = OpportunityBriefSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    acknowledged_by = UserBriefSerializer(read_only=True, allow_null=True)
    resolved_by = UserBriefSerializer(read_only=True, allow_null=True)
    facts = serializers.JSONField(
        read_only=True, help_text=gettext_lazy("The numbers behind the explanation.")
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "kind_display",
            "severity",
            "severity_display",
            "subject_kind",
            "status",
            "status_display",
            "explanation",
            "opportunity",
            "request",
            "team",
            "owner",
            "facts",
            "dedup_key",
            "first_seen_at",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "note",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_explanation(self, alert) -> str:
        from ..alerts import describe

        return str(describe(alert))


class ScorecardRowSerializer(serializers.Serializer):
    owner = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    pipeline = _money(help_text=gettext_lazy("Open pipeline on the latest snapshot."))
    weighted_pipeline = _money()
    won_amount = _money()
    won_count = serializers.IntegerField(read_only=True)
    lost_count = serializers.IntegerField(read_only=True)
    win_rate = _rate(help_text=gettext_lazy("Won / (won + lost), a fraction."))
    avg_cycle_days = serializers.DecimalField(
        read_only=True, allow_null=True, max_digits=8, decimal_places=1
    )
    activities_per_week = serializers.DecimalField(
        read_only=True, allow_null=True, max_digits=8, decimal_places=1
    )
    stage_conversion = _rate(
        help_text=gettext_lazy("Stage advances / deals leaving an open stage, a fraction.")
    )
    open_alerts = serializers.IntegerField(read_only=True)
    target = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    attainment_pct = serializers.FloatField(read_only=True, allow_null=True)
    drill_url = serializers.CharField(read_only=True)


class ScorecardsSerializer(serializers.Serializer):
    scope = ScopeSerializer(read_only=True)
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)
    rows = ScorecardRowSerializer(many=True, read_only=True)
