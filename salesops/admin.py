from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Target, Team, User, Webhook, WebhookDelivery


@admin.register(Team)
class TeamAdmin(TreeAdmin):
    form = movenodeform_factory(Team)
    list_display = ["name", "kind", "manager", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "name", "role", "team", "is_active"]
    list_filter = ["role", "is_active", "team"]
    search_fields = ["username", "name", "first_name", "last_name", "email"]
    autocomplete_fields = ["team"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Sales organisation"), {"fields": ("name", "role", "team", "title", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Sales organisation"), {"fields": ("name", "role", "team")}),
    )


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["month", "team", "user", "amount", "set_by", "updated_at"]
    list_filter = ["month", "team"]
    search_fields = ["team__name", "user__username", "user__name"]
    autocomplete_fields = ["team", "user"]
    readonly_fields = ["set_by", "updated_at"]
    date_hierarchy = "month"

    def save_model(self, request, obj, form, change):
        obj.set_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "is_active", "created_at"]
    list_filter = ["is_active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "webhook", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event", "webhook"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
