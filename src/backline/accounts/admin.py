"""Admin screens for people and teams (configuration; ticket work happens in the app)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from backline.accounts.models import ApiToken, LoginAttempt, Team, TeamMembership, User


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Backline", {"fields": ("role", "title")}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "email"]
    list_filter = ["tier"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = [
        "user",
        "name",
        "prefix",
        "digest",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def has_add_permission(self, request):
        return False  # tokens are made by token_create, which shows the secret once


@admin.register(LoginAttempt)
class LoginAttemptAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "succeeded", "at"]
    list_filter = ["succeeded"]
    search_fields = ["username", "ip_address"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
