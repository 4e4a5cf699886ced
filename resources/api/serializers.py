"""Shapes of the presales resources API.

Read serializers describe what comes back; a request's status, priority, timestamps and
evaluation are read-only and change through the actions (submit, approve, reject, dispatch,
start, complete, evaluate, cancel). Input serializers check only the shape of a request:
types, choices, and ids among those the caller may pick. The rules (who may move a request,
capacity, priority order, hours a day) are checked by resources.services, whose refusals the
API's exception handler turns into 400, 403 or 409 with the service's message and reasons.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from opportunities.api.serializers import TeamBriefSerializer, UserBriefSerializer
from opportunities.models import Opportunity
from opportunities.selectors import opportunity_list_visible_to
from salesops.api.mixins import VersionedUpdateMixin
from salesops.models import User

from ..choices import RequestType, SkillLevel, TechOutcome
from ..models import (
    Assignment,
    EngineerProfile,
    EngineerSkill,
    RequestAttachment,
    RequestTransition,
    ResourceRequest,
    Skill,
    TimeEntry,
)
from ..selectors import engineer_list_visible_to


def _user_of(serializer: serializers.Serializer) -> User | None:
    request = serializer.context.get("request")
    return request.user if request is not None else None


def _text(help_text=None, **kwargs) -> serializers.CharField:
    """An optional free text that defaults to empty, as the services expect."""
    return serializers.CharField(
        required=False, allow_blank=True, default="", help_text=help_text, **kwargs
    )


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The version you read; if given and the request changed since, 409."),
    )


# Small nested shapes


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name"]
        read_only_fields = fields


class EngineerBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    team = TeamBriefSerializer(source="user.team", read_only=True, allow_null=True)

    class Meta:
        model = EngineerProfile
        fields = ["id", "name", "team"]
        read_only_fields = fields


# Engineers


class EngineerSkillSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="skill.id", read_only=True)
    name = serializers.CharField(source="skill.name", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = EngineerSkill
        fields = ["id", "name", "level", "level_display"]
        read_only_fields = fields


class EngineerSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)
    team = TeamBriefSerializer(source="user.team", read_only=True, allow_null=True)
    skills = EngineerSkillSerializer(source="skill_levels", many=True, read_only=True)
    daily_capacity_hours = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        read_only=True,
        help_text=_("Weekly capacity / 5, on each working day that is not a day off."),
    )

    class Meta:
        model = EngineerProfile
        fields = [
            "id",
            "user",
            "team",
            "weekly_capacity_hours",
            "daily_capacity_hours",
            "cost_rate_per_hour",
            "is_active",
            "skills",
        ]
        read_only_fields = fields


class LoadWeekSerializer(serializers.Serializer):
    """One ISO week of an engineer's load; booked beyond available is flagged."""

    year = serializers.IntegerField()
    week = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    days_off = serializers.IntegerField(help_text=_("Working days off in the week."))
    available = serializers.DecimalField(max_digits=9, decimal_places=2)
    booked = serializers.DecimalField(max_digits=9, decimal_places=2)
    free = serializers.DecimalField(
        max_digits=9, decimal_places=2, help_text=_("Negative when over-booked.")
    )
    logged = serializers.DecimalField(max_digits=9, decimal_places=2)
    is_over = serializers.BooleanField()


class EngineerLoadSerializer(serializers.Serializer):
    engineer = EngineerBriefSerializer()
    weeks = LoadWeekSerializer(many=True)


class LoadQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, max_value=26, default=4)
    start = serializers.DateField(
        required=False, default=None, help_text=_("A day of the first week; today by default.")
    )


# Requests


class AssignmentSerializer(serializers.ModelSerializer):
    engineer = EngineerBriefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "engineer",
            "planned_hours",
            "start",
            "end",
            "assigned_at",
            "over_capacity_hours",
            "over_capacity_reason",
            "out_of_order_reason",
        ]
        read_only_fields = fields


class TransitionSerializer(serializers.ModelSerializer):
    by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RequestTransition
        fields = ["from_status", "to_status", "by", "at", "note"]
        read_only_fields = fields


class RequestAttachmentSerializer(serializers.ModelSerializer):
    """A file of a request; it downloads from download_url, which checks that the caller sees
    the request (there is no public address)."""

    uploaded_by = UserBriefSerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RequestAttachment
        fields = ["id", "name", "size", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: RequestAttachment) -> str:
        url = reverse(
            "resource-request-attachment-download",
            kwargs={"pk": attachment.request_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class AttachmentUploadSerializer(serializers.Serializer):
    """Multipart: one or more `files` parts. The service refuses empty files, files beyond the
    size limit and programs, naming each."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), allow_empty=False
    )


class ResourceRequestSerializer(serializers.ModelSerializer):
    """A request as a list shows it. Status, priority and the evaluation change through the
    actions, never by an edit."""

    opportunity_name = serializers.CharField(source="opportunity.name", read_only=True)
    account_name = serializers.CharField(source="opportunity.account.name", read_only=True)
    requester = UserBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    skills = SkillSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    priority_explanation = serializers.JSONField(
        read_only=True,
        help_text=_("amount × probability × tier weight × stage urgency × deadline closeness."),
    )

    class Meta:
        model = ResourceRequest
        fields = [
            "id",
            "opportunity",
            "opportunity_name",
            "account_name",
            "requester",
            "kind",
            "kind_display",
            "skills",
            "estimated_hours",
            "wanted_start",
            "wanted_end",
            "justification",
            "status",
            "status_display",
            "priority_score",
            "priority_explanation",
            "assignments",
            "reject_reason",
            "cancel_reason",
            "rating",
            "rating_comment",
            "tech_outcome",
            "version",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
            "rejected_at",
            "dispatched_at",
            "started_at",
            "completed_at",
            "evaluated_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class ResourceRequestDetailSerializer(ResourceRequestSerializer):
    """One request, with its history and the moves the caller may make now."""

    available_actions = serializers.SerializerMethodField(
        help_text=_("The statuses you may move the request to now.")
    )
    transitions = TransitionSerializer(many=True, read_only=True)

    class Meta(ResourceRequestSerializer.Meta):
        fields = [*ResourceRequestSerializer.Meta.fields, "available_actions", "transitions"]
        read_only_fields = fields

    def get_available_actions(self, request: ResourceRequest) -> list[str]:
        from ..services import available_transitions

        user = _user_of(self)
        return available_transitions(request=request, user=user) if user else []


REQUEST_INPUT_FIELDS = [
    "kind",
    "skills",
    "estimated_hours",
    "wanted_start",
    "wanted_end",
    "justification",
]


class ResourceRequestCreateSerializer(serializers.ModelSerializer):
    """A draft request for presales support on one of the caller's visible deals; the service
    refuses deals the caller does not work on and closed deals."""

    opportunity = serializers.PrimaryKeyRelatedField(queryset=Opportunity.objects.none())
    kind = serializers.ChoiceField(choices=RequestType.choices)
    skills = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.filter(is_active=True), many=True, required=False, default=list
    )

    class Meta:
        model = ResourceRequest
        fields = ["opportunity", *REQUEST_INPUT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None:
            self.fields["opportunity"].queryset = opportunity_list_visible_to(user)


class ResourceRequestUpdateSerializer(VersionedUpdateMixin, serializers.ModelSerializer):
    """An edit of a draft with the version it was read at."""

    kind = serializers.ChoiceField(choices=RequestType.choices, required=False)
    skills = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.filter(is_active=True), many=True, required=False
    )
    version = serializers.IntegerField(
        help_text=_("The version you read; if the request changed since, the edit gets 409.")
    )
    fixed_fields = {
        "opportunity": _("A request stays with its deal; cancel it and ask on the other deal."),
        "requester": _("A request keeps its requester."),
    }

    class Meta:
        model = ResourceRequest
        fields = [*REQUEST_INPUT_FIELDS, "version"]


class NoteSerializer(serializers.Serializer):
    note = _text(_("Kept in the request's history."))
    version = _version()


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text=_("Required: why it is rejected."))
    version = _version()


class CancelSerializer(serializers.Serializer):
    reason = _text(_("Required once the request is submitted: why it is cancelled."))
    version = _version()


class EvaluateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(help_text=_("The support rated from 1 to 5."))
    tech_outcome = serializers.ChoiceField(choices=TechOutcome.choices)
    comment = _text()
    version = _version()


class VisibleEngineerField(serializers.PrimaryKeyRelatedField):
    """An engineer among those the caller sees; read from the root's context, since a line of
    a list is built before the request is known."""

    def get_queryset(self):
        user = _user_of(self.root)
        if user is None:
            return EngineerProfile.objects.none()
        return engineer_list_visible_to(user).select_related("user__team")


class DispatchLineSerializer(serializers.Serializer):
    engineer = VisibleEngineerField(
        queryset=EngineerProfile.objects.none(), help_text=_("An engineer profile id.")
    )
    hours = serializers.DecimalField(max_digits=7, decimal_places=2)
    start = serializers.DateField()
    end = serializers.DateField()


class DispatchSerializer(serializers.Serializer):
    assignments = DispatchLineSerializer(many=True)
    out_of_order_reason = _text(_("Required while approved requests with a higher priority wait."))
    over_capacity_reason = _text(
        _("Required when an engineer has fewer free hours in the window than planned.")
    )
    note = _text()
    version = _version()


class SuggestionSkillSerializer(serializers.Serializer):
    skill = SkillSerializer()
    level = serializers.ChoiceField(
        choices=[(0, _("none")), *SkillLevel.choices], help_text=_("0: lacks the skill.")
    )


class SuggestionSerializer(serializers.Serializer):
    engineer = EngineerBriefSerializer()
    fit = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        help_text=_("Level-weighted coverage of the required skills; 1 is expert in each."),
    )
    free_hours = serializers.DecimalField(
        max_digits=9, decimal_places=2, help_text=_("Free in the wanted window.")
    )
    has_room = serializers.BooleanField(help_text=_("Free hours cover the estimate."))
    skills = SuggestionSkillSerializer(many=True)
    missing = SkillSerializer(many=True)


# Time entries


class TimeEntrySerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="assignment.request_id", read_only=True)
    engineer = EngineerBriefSerializer(source="assignment.engineer", read_only=True)
    cost = serializers.SerializerMethodField()

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "assignment",
            "request",
            "engineer",
            "date",
            "hours",
            "note",
            "cost_rate",
            "cost",
            "logged_at",
        ]
        read_only_fields = fields

    def get_cost(self, entry: TimeEntry) -> str:
        return f"{entry.hours * entry.cost_rate:.2f}"


class TimeEntryCreateSerializer(serializers.ModelSerializer):
    """Hours worked on one day on one of the caller's assignments."""

    assignment = serializers.PrimaryKeyRelatedField(queryset=Assignment.objects.none())
    hours = serializers.DecimalField(max_digits=5, decimal_places=2)
    note = _text()

    class Meta:
        model = TimeEntry
        fields = ["assignment", "date", "hours", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = _user_of(self)
        if user is not None and user.is_authenticated:
            self.fields["assignment"].queryset = Assignment.objects.filter(engineer__user=user)


class TimeEntryUpdateSerializer(serializers.Serializer):
    """A correction of one of the caller's entries: any of day, hours and note."""

    date = serializers.DateField(required=False)
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    note = serializers.CharField(required=False, allow_blank=True)
