"""The presales resources API: thin viewsets over resources.selectors (reads, visibility first)
and resources.services (writes and rules). A record the caller cannot see answers 404.

Requests are not deleted: they are cancelled, with a reason once submitted."""

import django_filters
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from salesops.api.mixins import FILTER_BACKENDS

from .. import selectors, services
from ..filtersets import EngineerFilterSet, ResourceRequestFilterSet, TimeEntryFilterSet
from ..models import Assignment, EngineerSkill, RequestTransition
from .serializers import (
    AttachmentUploadSerializer,
    CancelSerializer,
    DispatchSerializer,
    EngineerLoadSerializer,
    EngineerSerializer,
    EvaluateSerializer,
    LoadQuerySerializer,
    NoteSerializer,
    RejectSerializer,
    RequestAttachmentSerializer,
    ResourceRequestCreateSerializer,
    ResourceRequestDetailSerializer,
    ResourceRequestSerializer,
    ResourceRequestUpdateSerializer,
    SuggestionSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimeEntryUpdateSerializer,
)

# Actions on one record look it up by id alone.
ACTION = {"detail": True, "methods": ["post"], "filter_backends": []}
ZERO_WEEK = {"days_off": 0, "available": 0, "booked": 0, "free": 0, "logged": 0, "is_over": False}


@extend_schema_view(
    list=extend_schema(summary="Presales engineers the caller may see; skill=: who has it"),
    retrieve=extend_schema(summary="One presales engineer"),
)
class EngineerViewSet(viewsets.ReadOnlyModelViewSet):
    """Presales engineers with their skills and levels, capacity and team. A lead sees the
    engineers of the teams they lead, an engineer themselves, an admin everyone."""

    serializer_class = EngineerSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = EngineerFilterSet
    ordering_fields = ["weekly_capacity_hours", "user__username"]

    def get_queryset(self):
        levels = EngineerSkill.objects.select_related("skill").order_by("skill__name", "pk")
        return (
            selectors.engineer_list_visible_to(self.request.user)
            .select_related("user__team")
            .prefetch_related(Prefetch("skill_levels", queryset=levels))
        )

    @extend_schema(
        summary="Booked against available hours per ISO week",
        description=(
            "From the week of `start` (today by default), `weeks` weeks (1–26, 4 by default). "
            "A week booked beyond what is available has is_over."
        ),
        parameters=[LoadQuerySerializer],
        responses={200: EngineerLoadSerializer},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def load(self, request, pk=None):
        engineer = self.get_object()
        query = LoadQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        team = engineer.user.team
        load = {"weeks": [], "engineers": []}
        if team is not None:
            load = selectors.engineer_load(team=team, **query.validated_data)
        cells = next(
            (row["weeks"] for row in load["engineers"] if row["engineer"].pk == engineer.pk),
            [ZERO_WEEK] * len(load["weeks"]),
        )
        weeks = [{**week, **cell} for week, cell in zip(load["weeks"], cells, strict=True)]
        return Response(EngineerLoadSerializer({"engineer": engineer, "weeks": weeks}).data)


class ResourceRequestAPIFilterSet(ResourceRequestFilterSet):
    queue = django_filters.BooleanFilter(
        method="filter_queue",
        label=_("Approval queue: submitted and approved requests, highest priority first"),
    )

    class Meta(ResourceRequestFilterSet.Meta):
        fields = [*ResourceRequestFilterSet.Meta.fields, "queue"]

    def filter_queue(self, queryset, name, value):
        if not value:
            return queryset
        queue = selectors.approval_queue(self.request.user).values("pk")
        return queryset.filter(pk__in=queue).order_by("-priority_score", "submitted_at", "pk")


@extend_schema_view(
    list=extend_schema(
        summary="Presales requests the caller may see; queue=true: a lead's approval queue"
    ),
    retrieve=extend_schema(summary="One presales request, with its history"),
)
class ResourceRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Presales requests (资源调度单). A rep sees the requests on the deals they see, a lead
    every submitted request, an engineer the requests they are assigned to. The status moves
    only through the actions; a refused move answers 400, 403 or 409 with the reasons."""

    serializer_class = ResourceRequestSerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = ResourceRequestAPIFilterSet
    ordering_fields = ["priority_score", "wanted_start", "created_at", "submitted_at"]
    # No default ordering here: the model's (highest priority first) applies, and queue=true
    # keeps its own order unless the caller asks for another.

    def get_queryset(self):
        assignments = Assignment.objects.select_related("engineer__user__team").order_by(
            "start", "pk"
        )
        queryset = selectors.with_request_relations(
            selectors.request_list_visible_to(self.request.user)
        ).prefetch_related("skills", Prefetch("assignments", queryset=assignments))
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("transitions", queryset=RequestTransition.objects.select_related("by"))
            )
        return queryset

    def get_serializer_class(self):
        # Input shapes per action, for validation and for the schema; responses are requests.
        return {
            "list": ResourceRequestSerializer,
            "create": ResourceRequestCreateSerializer,
            "partial_update": ResourceRequestUpdateSerializer,
            "submit": NoteSerializer,
            "approve": NoteSerializer,
            "reject": RejectSerializer,
            "dispatch_request": DispatchSerializer,
            "start": NoteSerializer,
            "complete": NoteSerializer,
            "evaluate": EvaluateSerializer,
            "cancel": CancelSerializer,
            "attachments": AttachmentUploadSerializer,
        }.get(self.action, ResourceRequestDetailSerializer)

    def _input(self) -> dict:
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _request_response(self, resource_request, status_code=status.HTTP_200_OK) -> Response:
        # Reloaded with its relations; a request the caller no longer sees is answered as the
        # service left it.
        resource_request = (
            self.get_queryset().filter(pk=resource_request.pk).first() or resource_request
        )
        context = self.get_serializer_context()
        data = ResourceRequestDetailSerializer(resource_request, context=context).data
        return Response(data, status=status_code)

    @extend_schema(
        summary="Ask for presales support on a deal; the request starts as a draft",
        responses={201: ResourceRequestDetailSerializer},
    )
    def create(self, request):
        resource_request = services.request_create(by=request.user, **self._input())
        return self._request_response(resource_request, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft; send the version you read (a stale one gets 409)",
        responses={200: ResourceRequestDetailSerializer},
    )
    def partial_update(self, request, pk=None):
        resource_request = self.get_object()
        serializer = self.get_serializer(resource_request, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        resource_request = services.request_update(
            request=resource_request, by=request.user, **fields
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Submit the draft to the presales leads",
        description="Beyond a technical exchange, the deal needs its ATI gate approved first.",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def submit(self, request, pk=None):
        resource_request = services.request_submit(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Approve a submitted request (presales leads)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def approve(self, request, pk=None):
        resource_request = services.request_approve(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Reject a submitted request, saying why (presales leads)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def reject(self, request, pk=None):
        resource_request = services.request_reject(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Book engineers on an approved request (presales leads)",
        description=(
            "Refused with 400 and the waiting requests while approved requests with a higher "
            "priority wait, unless out_of_order_reason says why this one goes first; refused "
            "with 400 and each engineer's free hours when the plan exceeds them, unless "
            "over_capacity_reason says why to book anyway."
        ),
        responses={200: ResourceRequestDetailSerializer},
    )
    # `dispatch` is the view's own entry point; the action keeps the name in its URL only.
    @action(url_path="dispatch", url_name="dispatch", **ACTION)
    def dispatch_request(self, request, pk=None):
        fields = self._input()
        fields["assignments"] = [
            (line["engineer"], line["hours"], line["start"], line["end"])
            for line in fields["assignments"]
        ]
        resource_request = services.request_dispatch(
            request=self.get_object(), by=request.user, **fields
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Start the work (an assigned engineer)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def start(self, request, pk=None):
        resource_request = services.request_start(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Mark the work done (an assigned engineer)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def complete(self, request, pk=None):
        resource_request = services.request_complete(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Rate the support and record the technical outcome (the requester's side)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def evaluate(self, request, pk=None):
        resource_request = services.request_evaluate(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        summary="Withdraw an open request; past the draft, say why (the requester's side)",
        responses={200: ResourceRequestDetailSerializer},
    )
    @action(**ACTION)
    def cancel(self, request, pk=None):
        resource_request = services.request_cancel(
            request=self.get_object(), by=request.user, **self._input()
        )
        return self._request_response(resource_request)

    @extend_schema(
        methods=["GET"],
        summary="The files of a request",
        request=None,
        responses={200: RequestAttachmentSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach one or more files (multipart, `files` parts) to an open request",
        description=(
            "By the requester's side, the presales leads and the assigned engineers. Refused "
            "with 400 and a message per file under `files` for an empty file, a file beyond "
            "the size limit (20 MB unless configured) or a program."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: RequestAttachmentSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        pagination_class=None,
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def attachments(self, request, pk=None):
        resource_request = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            files = resource_request.attachments.select_related("uploaded_by")
            return Response(RequestAttachmentSerializer(files, many=True, context=context).data)
        files = self._input()["files"]
        added = services.attachment_add(request=resource_request, by=request.user, files=files)
        data = RequestAttachmentSerializer(added, many=True, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _attachment(self, attachment_id):
        return get_object_or_404(self.get_object().attachments, pk=attachment_id)

    @extend_schema(
        summary="Remove a file (the person who added it, while the request is open)",
        request=None,
        responses={204: None},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
        filter_backends=[],
    )
    def attachment(self, request, pk=None, attachment_id=None):
        services.attachment_remove(attachment=self._attachment(attachment_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download a file of a request the caller sees",
        request=None,
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)/download",
        url_name="attachment-download",
        filter_backends=[],
    )
    def attachment_download(self, request, pk=None, attachment_id=None):
        attachment = self._attachment(attachment_id)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        return FileResponse(handle, as_attachment=True, filename=attachment.name)

    @extend_schema(
        summary="Engineers for the request, best first, with skill fit and free hours",
        description=(
            "Those with room for the estimate in the wanted window first, then by skill fit, "
            "then by free hours; limited to the teams the caller leads."
        ),
        responses={200: SuggestionSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def suggestions(self, request, pk=None):
        suggestions = services.suggest_engineers(self.get_object(), by=request.user)
        return Response(SuggestionSerializer(suggestions, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Hours logged that the caller may see, newest first"),
    retrieve=extend_schema(summary="One time entry"),
)
class TimeEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Hours engineers log on their assignments. An engineer sees their own; leads, managers
    and reps the hours on the requests they see; admins all."""

    serializer_class = TimeEntrySerializer
    filter_backends = FILTER_BACKENDS
    filterset_class = TimeEntryFilterSet
    ordering_fields = ["date", "hours", "logged_at"]
    ordering = ["-date", "-pk"]

    def get_queryset(self):
        return selectors.time_entry_list_visible_to(self.request.user)

    def get_serializer_class(self):
        return {
            "create": TimeEntryCreateSerializer,
            "partial_update": TimeEntryUpdateSerializer,
        }.get(self.action, TimeEntrySerializer)

    def _entry_response(self, entry, status_code=status.HTTP_200_OK) -> Response:
        entry = self.get_queryset().filter(pk=entry.pk).first() or entry
        return Response(TimeEntrySerializer(entry).data, status=status_code)

    @extend_schema(
        summary="Log hours worked on one day on one of your assignments",
        description=(
            "Refused with 400 and field messages: on `hours` for hours not above 0, above 24, "
            "or beyond 24 a day across assignments; on `date` for a day in the future or "
            "before the assignment starts."
        ),
        responses={201: TimeEntrySerializer},
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.time_log(by=request.user, **serializer.validated_data)
        return self._entry_response(entry, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Correct one of your entries (day, hours, note) under the rules of logging",
        responses={200: TimeEntrySerializer},
    )
    def partial_update(self, request, pk=None):
        entry = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.time_entry_update(
            entry=entry, by=request.user, **serializer.validated_data
        )
        return self._entry_response(entry)

    @extend_schema(summary="Remove one of your entries", responses={204: None})
    def destroy(self, request, pk=None):
        services.time_entry_delete(entry=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
