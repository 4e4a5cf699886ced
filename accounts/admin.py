from django.contrib import admin

from .models import (
    Account,
    AccountAssessment,
    AccountPlan,
    AccountTeamMember,
    AccountTransfer,
    Contact,
    PlanGoal,
    RoadmapItem,
    TierChange,
    TieringPolicy,
    WishListItem,
)


@admin.register(TieringPolicy)
class TieringPolicyAdmin(admin.ModelAdmin):
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return not TieringPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class AssessmentInline(admin.TabularInline):
    model = AccountAssessment
    extra = 0
    readonly_fields = ["assessed_by", "assessed_at"]


class TeamMemberInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 0
    autocomplete_fields = ["user"]


class TierChangeInline(admin.TabularInline):
    model = TierChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "old_tier",
        "new_tier",
        "score",
        "source",
        "reason",
        "changed_by",
        "changed_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "tier", "score", "owner_team", "owner", "status"]
    list_filter = ["tier", "industry", "status", "attractiveness", "position"]
    search_fields = ["name", "location"]
    autocomplete_fields = ["parent", "owner", "owner_team", "region"]
    # Tiering results and the owner team change only through accounts.services.
    readonly_fields = [
        "owner_team",
        "score",
        "computed_tier",
        "tier",
        "tier_explanation",
        "tier_override",
        "tier_override_reason",
        "tier_override_by",
        "tier_override_at",
        "attractiveness",
        "position",
        "tiered_at",
        "version",
    ]
    inlines = [AssessmentInline, TeamMemberInline, TierChangeInline]

    def has_add_permission(self, request):
        return False  # accounts are created in the app, where the tiering rules run


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "title", "department", "email", "is_active"]
    search_fields = ["name", "account__name", "email"]
    autocomplete_fields = ["account", "reports_to"]


@admin.register(AccountTransfer)
class AccountTransferAdmin(admin.ModelAdmin):
    list_display = ["account", "from_team", "to_team", "transferred_by", "transferred_at"]
    readonly_fields = ["account", "from_team", "to_team", "reason", "transferred_by"]

    def has_add_permission(self, request):
        return False


class PlanGoalInline(admin.TabularInline):
    model = PlanGoal
    extra = 0
    fields = ["kind", "description", "due_date", "status"]


class WishListItemInline(admin.TabularInline):
    """Read-only: positions and decisions are taken on the plan page, where the rules run."""

    model = WishListItem
    extra = 0
    can_delete = False
    fields = ["title", "offering", "region_position", "account_team_position", "decision"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class RoadmapItemInline(admin.TabularInline):
    model = RoadmapItem
    extra = 0
    fields = ["initiative", "offering", "start_month", "end_month", "wish_item"]
    readonly_fields = ["wish_item"]


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ["account", "year", "revenue_objective", "gross_margin_objective_pct"]
    list_filter = ["year"]
    search_fields = ["account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["version", "created_by", "created_at", "updated_by", "updated_at"]
    inlines = [PlanGoalInline, WishListItemInline, RoadmapItemInline]

    def has_add_permission(self, request):
        return False  # plans are started on the plan page, where the tier-A rule runs


@admin.register(WishListItem)
class WishListItemAdmin(admin.ModelAdmin):
    list_display = ["title", "plan", "decision", "region_position", "account_team_position"]
    list_filter = ["decision", "plan__year"]
    search_fields = ["title", "offering", "plan__account__name"]
    # The joint decision is a record: it changes only through accounts.services.
    readonly_fields = [
        "plan",
        "region_position",
        "region_note",
        "region_by",
        "region_at",
        "account_team_position",
        "account_team_note",
        "account_team_by",
        "account_team_at",
        "decision",
        "decided_at",
        "escalated_to",
        "escalated_at",
        "escalation_decision",
        "escalation_note",
        "escalation_by",
        "escalation_at",
        "converted_at",
        "created_by",
        "version",
    ]

    def has_add_permission(self, request):
        return False
