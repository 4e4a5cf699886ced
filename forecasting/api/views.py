"""The forecasting API: thin views over forecasting.selectors (reads, visibility first) and
forecasting.alerts (acknowledging and resolving an alert). Everything is read from the rows
the background jobs store; nothing here recomputes.

The funnel and the scorecards are reports of one scope (the caller's by default, or a team or
rep they may see, else 403); forecasts and alerts are lists scoped to the caller. An alert the
caller cannot see answers 404."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from salesops.api.mixins import FILTER_BACKENDS

from .. import selectors
from .filtersets import AlertFilterSet, ForecastRunFilterSet
from .serializers import (
    AlertNoteSerializer,
    AlertSerializer,
    ForecastRunSerializer,
    FunnelQuerySerializer,
    FunnelSerializer,
    ScorecardQuerySerializer,
    ScorecardsSerializer,
)

# Actions on one record look it up by id alone.
ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}


class ReportSchema(AutoSchema):
    """A report is one object answered at the collection's address, not a list of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ReportViewSet(viewsets.ViewSet):
    """A GET at the collection address that answers one report for one scope."""

    schema = ReportSchema()
    query_serializer_class = None

    def _query(self, request) -> tuple[selectors.Scope, dict]:
        query = self.query_serializer_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        scope = selectors.scope_for(
            request.user, team_id=params.pop("team", None), owner_id=params.pop("owner", None)
        )
        return scope, params


class FunnelViewSet(ReportViewSet):
    """The open pipeline per stage (count, amount, weighted amount, historical conversion)
    from the latest funnel snapshot, for the caller's scope or a team or rep they may see."""

    query_serializer_class = FunnelQuerySerializer

    @extend_schema(
        summary="The funnel of a scope on a day",
        description=(
            "Without team or owner: the company for admins, the top team a manager leads, "
            "else the caller. A team or rep the caller may not see answers 403."
        ),
        parameters=[FunnelQuerySerializer],
        responses={200: FunnelSerializer},
    )
    def list(self, request):
        scope, params = self._query(request)
        process = params.get("process")
        report = selectors.funnel(
            scope, day=params.get("day"), process_id=process.pk if process else None
        )
        return Response(FunnelSerializer({**report, "scope": scope}).data)


class ScorecardViewSet(ReportViewSet):
    """One row per rep of the scope for a range of months."""

    query_serializer_class = ScorecardQuerySerializer

    @extend_schema(
        summary="Rep scorecards of a scope for a range of months",
        description=(
            "Closed business, win rate, cycle time, activity and stage conversion from the "
            "months from start to end, the pipeline of the latest snapshot, unresolved alerts "
            "and target attainment. Without team or owner: the caller's default scope."
        ),
        parameters=[ScorecardQuerySerializer],
        responses={200: ScorecardsSerializer},
    )
    def list(self, request):
        scope, params = self._query(request)
        rows = selectors.scorecards(scope, start=params["start"], end=params["end"])
        report = {"scope": scope, "start": params["start"], "end": params["end"], "rows": rows}
        return Response(ScorecardsSerializer(report).data)


@extend_schema_view(
    list=extend_schema(summary="Forecasts the caller may see, newest first"),
    retrieve=extend_schema(summary="One forecast"),
)
class ForecastRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Every forecast the jobs made: per method, scope (company for admins; the teams a
    manager leads; the reps they see), period and as-of day, with its parts and the target.
    Read-only: the nightly jobs and a recompute write them."""

    serializer_class = ForecastRunSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ForecastRunFilterSet
    ordering_fields = ["as_of", "period_start", "amount", "computed_at"]
    ordering = ["-as_of", "method", "pk"]

    def get_queryset(self):
        return selectors.forecast_run_list_visible_to(self.request.user).select_related(
            "team", "owner"
        )


@extend_schema_view(
    list=extend_schema(summary="Alerts the caller may see, most recently seen first"),
    retrieve=extend_schema(summary="One alert, with its explanation"),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Anomalies the alert scan found, each with its explanation in the request's language.
    A manager acknowledges an alert (seen, being handled) or resolves it."""

    serializer_class = AlertSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = AlertFilterSet
    ordering_fields = ["last_seen_at", "first_seen_at"]
    ordering = ["-last_seen_at", "-pk"]

    def get_queryset(self):
        return selectors.alert_list_visible_to(self.request.user).select_related(
            "rule", "opportunity", "request", "team", "owner", "acknowledged_by", "resolved_by"
        )

    def get_serializer_class(self):
        if self.action in ("acknowledge", "resolve"):
            return AlertNoteSerializer
        return AlertSerializer

    def _handle(self, service) -> Response:
        alert = self.get_object()
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        alert = service(alert=alert, by=self.request.user, note=serializer.validated_data["note"])
        alert = self.get_queryset().filter(pk=alert.pk).first() or alert
        return Response(AlertSerializer(alert, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Acknowledge the alert, with an optional note",
        responses={200: AlertSerializer},
    )
    @action(**ACTION)
    def acknowledge(self, request, pk=None):
        from ..alerts import alert_acknowledge

        return self._handle(alert_acknowledge)

    @extend_schema(
        summary="Resolve the alert, with an optional note",
        responses={200: AlertSerializer},
    )
    @action(**ACTION)
    def resolve(self, request, pk=None):
        from ..alerts import alert_resolve

        return self._handle(alert_resolve)
