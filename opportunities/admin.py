"""The sales process as admins configure it: processes and their stages, and for each stage the
milestones, tasks, aids and collaborators; the review gates of each process.

Opportunities and what they record are not here: they change only through
opportunities.services."""

from django import forms
from django.contrib import admin
from django.db.models.fields import BLANK_CHOICE_DASH

from accounts.choices import Industry, Tier

from .choices import Qualification
from .models import (
    Activity,
    Gate,
    GateRule,
    Milestone,
    Opportunity,
    SalesProcess,
    Stage,
    StageAid,
    StageChange,
    StageCollaborator,
    StageTask,
)


def stage_label(stage: Stage) -> str:
    """Stages of different processes share names ("1. Negotiation"): say which process."""
    return f"{stage.process} · {stage}"


class StageChoiceMixin:
    """Stage drop-downs name the process, and a stage's process is read in the same query."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Stage:
            field.queryset = field.queryset.select_related("process")
            field.label_from_instance = stage_label
        return field


def _model_field_kwargs(model, name: str) -> dict:
    field = model._meta.get_field(name)
    return {"label": field.verbose_name, "help_text": field.help_text, "required": False}


class StageAidForm(forms.ModelForm):
    """The industry as a choice of accounts.choices.Industry; empty means every industry."""

    industry = forms.ChoiceField(
        choices=BLANK_CHOICE_DASH + list(Industry.choices),
        **_model_field_kwargs(StageAid, "industry"),
    )

    class Meta:
        model = StageAid
        fields = [
            "stage",
            "kind",
            "industry",
            "order",
            "title_en",
            "title_zh",
            "body_en",
            "body_zh",
            "link",
        ]


class GateRuleForm(forms.ModelForm):
    """Tiers and required facts as check boxes rather than JSON typed by hand."""

    tiers = forms.MultipleChoiceField(
        choices=Tier.choices,
        widget=forms.CheckboxSelectMultiple,
        **_model_field_kwargs(GateRule, "tiers"),
    )
    required_facts = forms.MultipleChoiceField(
        choices=Qualification.choices,
        widget=forms.CheckboxSelectMultiple,
        **_model_field_kwargs(GateRule, "required_facts"),
    )

    class Meta:
        model = GateRule
        fields = [
            "process",
            "kind",
            "leaving_stage",
            "min_amount",
            "tiers",
            "required_facts",
            "is_active",
        ]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    show_change_link = True  # milestones, tasks and aids are edited on the stage's own page
    fields = [
        "order",
        "code",
        "name_en",
        "name_zh",
        "customer_name_en",
        "customer_name_zh",
        "probability",
        "customer_probability",
        "is_won",
    ]


class GateRuleInline(StageChoiceMixin, admin.StackedInline):
    model = GateRule
    form = GateRuleForm
    extra = 0
    fields = ["kind", "leaving_stage", "min_amount", "tiers", "required_facts", "is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "leaving_stage":
            # Only the stages of the process being edited (none yet on its add page).
            process_id = request.resolver_match.kwargs.get("object_id")
            field.queryset = field.queryset.filter(process_id=process_id)
        return field


@admin.register(SalesProcess)
class SalesProcessAdmin(admin.ModelAdmin):
    list_display = ["code", "name_en", "name_zh", "is_default", "is_active"]
    list_filter = ["is_default", "is_active"]
    search_fields = ["code", "name_en", "name_zh"]
    inlines = [StageInline, GateRuleInline]


class MilestoneInline(admin.StackedInline):
    model = Milestone
    extra = 0
    fields = [
        ("order", "code"),
        ("name_en", "name_zh"),
        ("description_en", "description_zh"),
        ("is_required", "evidence_type", "proves_contract"),
    ]


class StageTaskInline(admin.StackedInline):
    model = StageTask
    extra = 0
    fields = ["order", ("name_en", "name_zh"), ("description_en", "description_zh")]


class StageAidInline(admin.StackedInline):
    model = StageAid
    form = StageAidForm
    extra = 0
    fields = [
        ("order", "kind", "industry"),
        ("title_en", "title_zh"),
        ("body_en", "body_zh"),
        "link",
    ]


class StageCollaboratorInline(admin.TabularInline):
    model = StageCollaborator
    extra = 0
    fields = ["role", "assessed_on_en", "assessed_on_zh"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["__str__", "process", "code", "probability", "customer_probability", "is_won"]
    list_display_links = ["__str__"]
    list_filter = ["process"]
    list_select_related = ["process"]
    search_fields = ["code", "name_en", "name_zh", "customer_name_en", "customer_name_zh"]
    ordering = ["process", "order"]
    fields = [
        "process",
        ("order", "code"),
        ("name_en", "name_zh"),
        ("customer_name_en", "customer_name_zh"),
        ("probability", "customer_probability"),
        "is_won",
    ]
    inlines = [MilestoneInline, StageTaskInline, StageAidInline, StageCollaboratorInline]


@admin.register(Milestone)
class MilestoneAdmin(StageChoiceMixin, admin.ModelAdmin):
    list_display = [
        "name_en",
        "name_zh",
        "stage",
        "stage__process",
        "is_required",
        "evidence_type",
        "proves_contract",
    ]
    list_filter = ["stage__process", "stage", "is_required", "evidence_type", "proves_contract"]
    list_select_related = ["stage__process"]
    search_fields = ["code", "name_en", "name_zh"]
    ordering = ["stage__process", "stage__order", "order"]


@admin.register(StageTask)
class StageTaskAdmin(StageChoiceMixin, admin.ModelAdmin):
    list_display = ["name_en", "name_zh", "stage", "stage__process"]
    list_filter = ["stage__process", "stage"]
    list_select_related = ["stage__process"]
    search_fields = ["name_en", "name_zh"]
    ordering = ["stage__process", "stage__order", "order"]


@admin.register(StageAid)
class StageAidAdmin(StageChoiceMixin, admin.ModelAdmin):
    form = StageAidForm
    list_display = ["title_en", "title_zh", "kind", "industry", "stage", "stage__process"]
    list_filter = ["stage__process", "stage", "kind", "industry"]
    list_select_related = ["stage__process"]
    search_fields = ["title_en", "title_zh", "body_en", "body_zh"]
    ordering = ["stage__process", "stage__order", "order"]


@admin.register(StageCollaborator)
class StageCollaboratorAdmin(StageChoiceMixin, admin.ModelAdmin):
    list_display = ["role", "assessed_on_en", "assessed_on_zh", "stage", "stage__process"]
    list_filter = ["stage__process", "role"]
    list_select_related = ["stage__process"]
    search_fields = ["assessed_on_en", "assessed_on_zh"]
    ordering = ["stage__process", "stage__order", "role"]


@admin.register(GateRule)
class GateRuleAdmin(StageChoiceMixin, admin.ModelAdmin):
    form = GateRuleForm
    list_display = ["kind", "process", "leaving_stage", "min_amount", "is_active"]
    list_filter = ["process", "kind", "is_active"]
    list_select_related = ["process", "leaving_stage"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Deals change through the services (rules, history, version check); the admin only
    shows them, for support."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["changed_at", "kind", "from_stage", "to_stage", "changed_by", "days_in_previous"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyAdmin):
    list_display = ["name", "account", "owner", "stage", "status", "amount", "expected_close_date"]
    list_filter = ["status", "process", "stage", "forecast_category"]
    list_select_related = ["account", "owner", "stage"]
    search_fields = ["name", "account__name"]
    date_hierarchy = "expected_close_date"
    inlines = [StageChangeInline]


@admin.register(Gate)
class GateAdmin(ReadOnlyAdmin):
    list_display = ["opportunity", "kind", "status", "requested_by", "decided_by", "requested_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["opportunity", "requested_by", "decided_by"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["subject", "kind", "occurred_on", "opportunity", "owner"]
    list_filter = ["kind"]
    list_select_related = ["opportunity", "owner"]
    date_hierarchy = "occurred_on"
