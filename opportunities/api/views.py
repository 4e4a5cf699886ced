"""The opportunities API: thin viewsets over opportunities.selectors (reads, visibility first)
and opportunities.services (writes and rules). A record the caller cannot see answers 404.

Deals are not deleted: they are closed as lost or abandoned, or won by their stage."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Contact
from salesops.api.mixins import FILTER_BACKENDS

from .. import selectors, services
from ..choices import GateStatus
from ..filtersets import (
    ActivityFilterSet,
    GateFilterSet,
    OpportunityFilterSet,
    StageChangeFilterSet,
)
from ..models import Competitor, Gate, OpportunityContact
from .serializers import (
    ActivityCreateSerializer,
    ActivitySerializer,
    AdvanceSerializer,
    CloseSerializer,
    CompetitorSerializer,
    DecisionChainEntrySerializer,
    DecisionChainSetSerializer,
    GateApproveSerializer,
    GateRejectSerializer,
    GateRequestSerializer,
    GateSerializer,
    MilestoneInputSerializer,
    OpportunityCreateSerializer,
    OpportunitySerializer,
    OpportunityUpdateSerializer,
    ProbabilitySerializer,
    ReasonSerializer,
    ReassignSerializer,
    SalesProcessSerializer,
    StageChangeSerializer,
    StagePathSerializer,
    service_fields,
)

# Sub-collections of one deal are short lists: no pages, and no list filters (which would
# apply to the deal looked up, not to the rows).
SUB_COLLECTION = {"detail": True, "pagination_class": None, "filter_backends": []}
# Actions on one record look it up by id alone.
ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}


@extend_schema_view(
    list=extend_schema(summary="Sales processes with their stages, milestones, tasks and aids"),
    retrieve=extend_schema(summary="One sales process, by code"),
)
class SalesProcessViewSet(viewsets.ReadOnlyModelViewSet):
    """The company's sales processes: stages with their customer purchase stages and default
    probabilities, milestones, tasks, aids, collaborators and gate rules. Names come in the
    request's language (Accept-Language) and in both languages."""

    serializer_class = SalesProcessSerializer
    lookup_field = "code"
    filter_backends = []

    def get_queryset(self):
        return selectors.process_list_with_stages()


@extend_schema_view(
    list=extend_schema(summary="Opportunities the caller may see"),
    retrieve=extend_schema(summary="One opportunity"),
)
class OpportunityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Opportunities. Stage, status and probability change through the actions (advance,
    close, reopen, probability), never by an edit; deals are closed, not deleted."""

    serializer_class = OpportunitySerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = OpportunityFilterSet
    ordering_fields = [
        "expected_close_date",
        "amount",
        "probability",
        "created_at",
        "updated_at",
        "name",
    ]
    ordering = ["expected_close_date", "pk"]

    def get_queryset(self):
        return selectors.opportunity_list_visible_to(self.request.user).select_related(
            "account", "owner", "team", "process", "stage", "customer_stage", "lost_at_stage"
        )

    def get_serializer_class(self):
        # Input shapes per action, for validation and for the schema; responses are deals.
        return {
            "create": OpportunityCreateSerializer,
            "partial_update": OpportunityUpdateSerializer,
            "reassign": ReassignSerializer,
            "advance": AdvanceSerializer,
            "close": CloseSerializer,
            "reopen": ReasonSerializer,
            "probability": ProbabilitySerializer,
        }.get(self.action, OpportunitySerializer)

    def _input(self, serializer_class=None, **context) -> dict:
        """The request's data, validated by the action's input serializer; `context` gives it
        what it picks ids among (the opportunity of a sub-collection)."""
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(
            data=self.request.data, context={**self.get_serializer_context(), **context}
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _opportunity_response(self, opportunity, status_code=status.HTTP_200_OK) -> Response:
        # Reloaded with its relations, as a list or detail shows it; a deal the caller no
        # longer sees (reassigned away) is answered as the service left it.
        opportunity = self.get_queryset().filter(pk=opportunity.pk).first() or opportunity
        context = self.get_serializer_context()
        return Response(OpportunitySerializer(opportunity, context=context).data, status_code)

    @extend_schema(
        summary="Open an opportunity; it starts in the process's first stage by default",
        responses={201: OpportunitySerializer},
    )
    def create(self, request):
        fields = service_fields(self._input())
        opportunity = services.opportunity_create(by=request.user, **fields)
        return self._opportunity_response(opportunity, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a deal's facts; send the version you read (a stale one gets 409)",
        responses={200: OpportunitySerializer},
    )
    def partial_update(self, request, pk=None):
        opportunity = self.get_object()
        serializer = self.get_serializer(opportunity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = service_fields(serializer.validated_data)
        version, reason = fields.pop("version"), fields.pop("reason", "")
        opportunity = services.opportunity_update(
            opportunity=opportunity, by=request.user, version=version, reason=reason, **fields
        )
        return self._opportunity_response(opportunity)

    @extend_schema(
        summary="Hand the deal to another rep, with a reason (managers of the owner's team)",
        responses={200: OpportunitySerializer},
    )
    @action(**ACTION)
    def reassign(self, request, pk=None):
        opportunity = services.opportunity_reassign(
            opportunity=self.get_object(), by=request.user, **self._input()
        )
        return self._opportunity_response(opportunity)

    @extend_schema(
        summary="Move the deal to another stage",
        description=(
            "Refused with 400 and every reason at once when required milestones of the stages "
            "left are not checked, a gate is not approved, the signed contract is missing for "
            "a win, or stages are skipped or walked back without a manager's override. A "
            "stale version gets 409."
        ),
        responses={200: OpportunitySerializer},
    )
    @action(**ACTION)
    def advance(self, request, pk=None):
        opportunity = services.opportunity_advance(
            opportunity=self.get_object(), by=request.user, **self._input()
        )
        return self._opportunity_response(opportunity)

    @extend_schema(
        summary="Close the deal as lost (with a reason) or abandoned",
        responses={200: OpportunitySerializer},
    )
    @action(**ACTION)
    def close(self, request, pk=None):
        opportunity = services.opportunity_close(
            opportunity=self.get_object(), by=request.user, **self._input()
        )
        return self._opportunity_response(opportunity)

    @extend_schema(
        summary="Reopen a lost or abandoned deal, with a reason (managers of the owner's team)",
        responses={200: OpportunitySerializer},
    )
    @action(**ACTION)
    def reopen(self, request, pk=None):
        opportunity = services.opportunity_reopen(
            opportunity=self.get_object(), by=request.user, **self._input()
        )
        return self._opportunity_response(opportunity)

    @extend_schema(
        summary="Set the win probability by hand, or null for the stage defaults (managers)",
        responses={200: OpportunitySerializer},
    )
    @action(**ACTION)
    def probability(self, request, pk=None):
        opportunity = services.opportunity_set_probability(
            opportunity=self.get_object(), by=request.user, **self._input()
        )
        return self._opportunity_response(opportunity)

    # Milestones

    def _stage_path_response(self, opportunity) -> Response:
        path = selectors.stage_path(opportunity)
        return Response(
            StagePathSerializer(path, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        methods=["GET"],
        summary="The stage path: every stage's milestones with check state and evidence",
        responses={200: StagePathSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Check a milestone with evidence, or un-check it (checked: false)",
        description="Send a file as multipart/form-data. Answers with the stage path.",
        request=MilestoneInputSerializer,
        responses={200: StagePathSerializer(many=True)},
    )
    @action(methods=["get", "post"], **SUB_COLLECTION)
    def milestones(self, request, pk=None):
        opportunity = self.get_object()
        if request.method == "POST":
            data = self._input(MilestoneInputSerializer, opportunity=opportunity)
            if data["checked"]:
                services.milestone_check(
                    opportunity=opportunity,
                    milestone=data["milestone"],
                    by=request.user,
                    note=data["note"],
                    link=data["link"],
                    file=data["file"],
                    activity=data["activity"],
                )
            else:
                services.milestone_uncheck(
                    opportunity=opportunity,
                    milestone=data["milestone"],
                    by=request.user,
                    note=data["note"],
                )
        return self._stage_path_response(opportunity)

    # Decision chain

    def _decision_chain_response(self, opportunity) -> Response:
        entries = (
            OpportunityContact.objects.filter(opportunity=opportunity)
            .select_related("contact")
            .order_by("contact__name", "pk")
        )
        return Response(DecisionChainEntrySerializer(entries, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="The deal's decision chain",
        responses={200: DecisionChainEntrySerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Place a contact in the decision chain, or change their place",
        description="Answers with the whole decision chain.",
        request=DecisionChainSetSerializer,
        responses={200: DecisionChainEntrySerializer(many=True)},
    )
    @action(methods=["get", "post"], url_path="decision-chain", **SUB_COLLECTION)
    def decision_chain(self, request, pk=None):
        opportunity = self.get_object()
        if request.method == "POST":
            fields = self._input(DecisionChainSetSerializer, opportunity=opportunity)
            services.decision_chain_set(opportunity=opportunity, by=request.user, **fields)
        return self._decision_chain_response(opportunity)

    @extend_schema(
        summary="Take a contact out of the deal's decision chain",
        parameters=[OpenApiParameter("contact_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(
        methods=["delete"],
        url_path=r"decision-chain/(?P<contact_id>[0-9]+)",
        url_name="decision-chain-remove",
        **SUB_COLLECTION,
    )
    def decision_chain_remove(self, request, pk=None, contact_id=None):
        opportunity = self.get_object()
        contact = Contact.objects.filter(pk=contact_id, account_id=opportunity.account_id).first()
        if contact is not None:
            services.decision_chain_remove(
                opportunity=opportunity, contact=contact, by=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Competitors

    def _competitors_response(self, opportunity) -> Response:
        competitors = Competitor.objects.filter(opportunity=opportunity)
        return Response(CompetitorSerializer(competitors, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="Competitors in the deal",
        responses={200: CompetitorSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a competitor, or change one (same name, ignoring case)",
        description="Answers with every competitor in the deal.",
        request=CompetitorSerializer,
        responses={200: CompetitorSerializer(many=True)},
    )
    @action(methods=["get", "post"], **SUB_COLLECTION)
    def competitors(self, request, pk=None):
        opportunity = self.get_object()
        if request.method == "POST":
            services.competitor_set(
                opportunity=opportunity, by=request.user, **self._input(CompetitorSerializer)
            )
        return self._competitors_response(opportunity)

    @extend_schema(
        summary="Take a competitor out of the deal",
        parameters=[OpenApiParameter("competitor_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={204: None},
    )
    @action(
        methods=["delete"],
        url_path=r"competitors/(?P<competitor_id>[0-9]+)",
        url_name="competitors-remove",
        **SUB_COLLECTION,
    )
    def competitors_remove(self, request, pk=None, competitor_id=None):
        opportunity = self.get_object()
        competitor = Competitor.objects.filter(pk=competitor_id, opportunity=opportunity).first()
        if competitor is not None:
            services.competitor_remove(competitor=competitor, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Gates

    @extend_schema(
        methods=["GET"],
        summary="The deal's gate reviews, newest first",
        responses={200: GateSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Request a gate review once the facts it needs are known",
        request=GateRequestSerializer,
        responses={201: GateSerializer},
    )
    @action(methods=["get", "post"], **SUB_COLLECTION)
    def gates(self, request, pk=None):
        opportunity = self.get_object()
        if request.method == "POST":
            gate = services.gate_request(
                opportunity=opportunity, by=request.user, **self._input(GateRequestSerializer)
            )
            gate = GateViewSet.with_relations(Gate.objects.filter(pk=gate.pk)).get()
            return Response(GateSerializer(gate).data, status=status.HTTP_201_CREATED)
        gates = GateViewSet.with_relations(Gate.objects.filter(opportunity=opportunity))
        return Response(GateSerializer(gates, many=True).data)


class GateAPIFilterSet(GateFilterSet):
    pending = django_filters.BooleanFilter(
        method="filter_pending", label=_("Waiting for my decision")
    )

    class Meta(GateFilterSet.Meta):
        fields = [*GateFilterSet.Meta.fields, "pending"]

    def filter_pending(self, queryset, name, value):
        if value is None:
            return queryset
        pending = selectors.pending_gates_for(self.request.user).values("pk")
        return queryset.filter(pk__in=pending) if value else queryset.exclude(pk__in=pending)


@extend_schema_view(
    list=extend_schema(
        summary="Gate reviews of the deals the caller may see; pending=true: mine to decide"
    ),
    retrieve=extend_schema(summary="One gate review"),
)
class GateViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Gate reviews (ATI, ATB, ATC). A rep requests one on the deal
    (POST /opportunities/{id}/gates/); a manager of the owner's team decides it here."""

    serializer_class = GateSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = GateAPIFilterSet
    ordering_fields = ["requested_at", "decided_at"]
    ordering = ["-requested_at", "-pk"]

    @staticmethod
    def with_relations(queryset):
        return queryset.select_related(
            "opportunity__account",
            "opportunity__stage",
            "rule__leaving_stage",
            "requested_by",
            "decided_by",
        )

    def get_queryset(self):
        return self.with_relations(selectors.gate_list_visible_to(self.request.user))

    def get_serializer_class(self):
        return {"approve": GateApproveSerializer, "reject": GateRejectSerializer}.get(
            self.action, GateSerializer
        )

    def _decide(self, decision: str, note: str, conditions: str = "") -> Response:
        gate = services.gate_decide(
            gate=self.get_object(),
            by=self.request.user,
            decision=decision,
            note=note,
            conditions=conditions,
        )
        gate = self.get_queryset().filter(pk=gate.pk).first() or gate
        return Response(GateSerializer(gate).data)

    @extend_schema(
        summary="Approve the gate; with conditions when conditions are given",
        responses={200: GateSerializer},
    )
    @action(**ACTION)
    def approve(self, request, pk=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conditions = serializer.validated_data["conditions"]
        decision = (
            GateStatus.APPROVED_WITH_CONDITIONS if conditions.strip() else GateStatus.APPROVED
        )
        return self._decide(decision, serializer.validated_data["note"], conditions)

    @extend_schema(summary="Reject the gate, saying why", responses={200: GateSerializer})
    @action(**ACTION)
    def reject(self, request, pk=None):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._decide(GateStatus.REJECTED, serializer.validated_data["note"])


@extend_schema_view(
    list=extend_schema(summary="Stage history of the deals the caller may see"),
    retrieve=extend_schema(summary="One stage change"),
)
class StageChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """Every stage move, close and reopen, with who, when, why and the days spent in the
    stage left. Read-only: moves are made with POST /opportunities/{id}/advance/."""

    serializer_class = StageChangeSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = StageChangeFilterSet
    ordering_fields = ["changed_at"]
    ordering = ["-changed_at", "-pk"]

    def get_queryset(self):
        return selectors.stage_change_list_visible_to(self.request.user).select_related(
            "opportunity", "from_stage", "to_stage", "changed_by"
        )


class ActivityAPIFilterSet(ActivityFilterSet):
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("My agenda: my open next steps, soonest first")
    )

    class Meta(ActivityFilterSet.Meta):
        fields = [*ActivityFilterSet.Meta.fields, "mine"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        agenda = selectors.agenda_for(self.request.user).values("pk")
        return queryset.filter(pk__in=agenda).order_by("next_step_due", "pk")


@extend_schema_view(
    list=extend_schema(summary="Activities on the deals the caller may see, newest first"),
    retrieve=extend_schema(summary="One activity"),
)
class ActivityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Visits, calls, meetings… logged on opportunities: the evidence for milestones. With
    mine=true, the caller's agenda of open next steps."""

    serializer_class = ActivitySerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ActivityAPIFilterSet
    ordering_fields = ["occurred_on", "next_step_due", "created_at"]
    # No default ordering here: the model's (newest first) applies, and mine=true orders the
    # agenda by due date unless the caller asks for another order.

    def get_queryset(self):
        return (
            selectors.activity_list_visible_to(self.request.user)
            .select_related("opportunity__account", "owner")
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.order_by("name")))
        )

    def get_serializer_class(self):
        return ActivityCreateSerializer if self.action == "create" else ActivitySerializer

    def _activity_response(self, activity, status_code=status.HTTP_200_OK) -> Response:
        activity = self.get_queryset().filter(pk=activity.pk).first() or activity
        return Response(ActivitySerializer(activity).data, status=status_code)

    @extend_schema(summary="Log an activity on a deal", responses={201: ActivitySerializer})
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = services.activity_log(by=request.user, **serializer.validated_data)
        return self._activity_response(activity, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark the activity's next step as done",
        request=None,
        responses={200: ActivitySerializer},
    )
    @action(**ACTION)
    def done(self, request, pk=None):
        activity = services.activity_next_step_done(activity=self.get_object(), by=request.user)
        return self._activity_response(activity)
