"""Presales resources as admins set them up: skills, engineers with their skill levels and days
off, and the dispatch policy. Requests and what they record are shown read-only: they change
only through resources.services."""

from django.contrib import admin

from .models import (
    Assignment,
    DayOff,
    DispatchPolicy,
    EngineerProfile,
    EngineerSkill,
    RequestTransition,
    ResourceRequest,
    Skill,
    TimeEntry,
)


@admin.register(DispatchPolicy)
class DispatchPolicyAdmin(admin.ModelAdmin):
    fields = [
        "stage_urgency_span",
        ("urgent_within_days", "urgent_weight"),
        ("soon_within_days", "soon_weight"),
        ("normal_within_days", "normal_weight"),
        "later_weight",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return not DispatchPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]


class EngineerSkillInline(admin.TabularInline):
    model = EngineerSkill
    extra = 0
    autocomplete_fields = ["skill"]


class DayOffInline(admin.TabularInline):
    model = DayOff
    extra = 0
    ordering = ["-date"]


@admin.register(EngineerProfile)
class EngineerProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "user__team",
        "weekly_capacity_hours",
        "cost_rate_per_hour",
        "is_active",
    ]
    list_filter = ["is_active", "user__team"]
    list_select_related = ["user__team"]
    search_fields = ["user__username", "user__name"]
    autocomplete_fields = ["user"]
    inlines = [EngineerSkillInline, DayOffInline]


@admin.register(DayOff)
class DayOffAdmin(admin.ModelAdmin):
    list_display = ["date", "engineer", "reason"]
    list_filter = ["engineer"]
    list_select_related = ["engineer__user"]
    date_hierarchy = "date"
    autocomplete_fields = ["engineer"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TransitionInline(ReadOnlyInline):
    model = RequestTransition
    fields = ["at", "from_status", "to_status", "by", "note", "notified_at"]
    readonly_fields = fields


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = [
        "engineer",
        "planned_hours",
        "start",
        "end",
        "assigned_by",
        "over_capacity_hours",
        "over_capacity_reason",
        "out_of_order_reason",
    ]
    readonly_fields = fields


@admin.register(ResourceRequest)
class ResourceRequestAdmin(admin.ModelAdmin):
    """Requests change through the services (lifecycle, capacity, history); the admin only
    shows them, for support."""

    list_display = [
        "pk",
        "kind",
        "opportunity",
        "requester",
        "status",
        "priority_score",
        "wanted_start",
        "wanted_end",
    ]
    list_filter = ["status", "kind", "tech_outcome"]
    list_select_related = ["opportunity", "requester"]
    search_fields = ["opportunity__name", "justification"]
    date_hierarchy = "created_at"
    inlines = [AssignmentInline, TransitionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "assignment", "hours", "cost_rate", "logged_by"]
    list_select_related = ["assignment__engineer__user", "logged_by"]
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
