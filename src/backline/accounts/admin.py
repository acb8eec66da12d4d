"""Admin screens for people and teams (configuration; ticket work happens in the app)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from backline.accounts import services
from backline.accounts.models import (
    ApiToken,
    LoginAttempt,
    LoginLockout,
    Team,
    TeamMembership,
    User,
)


def _admin_login(request, extra_context=None):
    """The admin signs in through the desk's own login page, so the lockout, throttling and the
    audit of sign-ins apply there too; the admin's own password form is never offered."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(next_url)
    return redirect_to_login(next_url, login_url=reverse("accounts:login"))


admin.site.login = _admin_login  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("Backline", {"fields": ("role", "title")}))
    actions = ["unlock_sign_in"]

    @admin.action(description="Unlock sign-in after failed attempts")
    def unlock_sign_in(self, request, queryset):
        unlocked = [
            u.username
            for u in queryset
            if services.login_unlock(username=u.username, actor=request.user)
        ]
        self.message_user(request, f"Unlocked: {', '.join(unlocked) or 'none was locked'}.")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "email"]
    list_filter = ["tier"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "scope", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    readonly_fields = [
        "user",
        "name",
        "scope",
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


@admin.register(LoginLockout)
class LoginLockoutAdmin(admin.ModelAdmin):
    list_display = ["username", "locked_until", "is_active"]
    search_fields = ["username"]
    actions = ["unlock"]

    @admin.display(boolean=True, description="Locked now")
    def is_active(self, obj: LoginLockout) -> bool:
        return obj.locked_until > timezone.now()

    @admin.action(description="Unlock now")
    def unlock(self, request, queryset):
        count = sum(
            services.login_unlock(username=lock.username, actor=request.user) for lock in queryset
        )
        self.message_user(request, f"Unlocked {count}.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
