from django.contrib import admin

from backline.cmdb.models import ConfigurationItem, Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_team"]
    search_fields = ["name"]


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    list_display = ["name", "ci_type", "service", "owner_team"]
    list_filter = ["ci_type", "service"]
    search_fields = ["name"]
