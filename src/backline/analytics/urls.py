from django.urls import include, path

from backline.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("tickets", views.tickets_page, name="tickets"),
    path("export/<slug:name>.<str:fmt>", views.export, name="export"),
    path("warnings", views.warning_settings, name="warnings"),
    path("report/", include("backline.analytics.report_urls")),
]
