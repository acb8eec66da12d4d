from django.contrib import admin
from django.urls import include, path

from backline.config.api import api

urlpatterns = [
    path("", include("backline.tickets.urls")),
    path("accounts/", include("backline.accounts.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
