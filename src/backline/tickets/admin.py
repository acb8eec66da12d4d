"""Admin screens for ticket configuration. Tickets themselves are read-only here: every change
to a ticket goes through the services so that it lands on the timeline."""

from django.contrib import admin

from backline.tickets import services
from backline.tickets.models import Category, PriorityMatrixEntry


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "team", "restricted", "is_active"]
    list_filter = ["is_active", "restricted"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(PriorityMatrixEntry)
class PriorityMatrixAdmin(admin.ModelAdmin):
    list_display = ["impact", "urgency", "priority"]
    list_editable = ["priority"]
    list_display_links = None

    def has_add_permission(self, request):
        return False  # the nine cells are seeded; only their priority changes

    def save_model(self, request, obj, form, change):
        # Through the service, so the manager-only rule holds here as everywhere.
        services.priority_matrix_set(
            actor=request.user, impact=obj.impact, urgency=obj.urgency, priority=obj.priority
        )

    def has_delete_permission(self, request, obj=None):
        return False
