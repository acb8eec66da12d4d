"""The weekly report's page; included inside analytics/urls.py, so its names join the
`analytics` namespace (analytics:weekly_report)."""

from django.urls import path

from backline.analytics import report_views

urlpatterns = [
    path("weekly", report_views.weekly_report_page, name="weekly_report"),
]
