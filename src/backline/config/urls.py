from django.contrib import admin
from django.urls import include, path

from backline.config.api import api
from backline.core.health import healthz, readyz

urlpatterns = [
    # Probes first: no app's patterns can shadow them (docs/deployment.md, "Health probes").
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("backline.diagnostics.urls")),
    path("portal/", include("backline.portal.urls")),
    path("", include("backline.tickets.urls")),
    path("", include("backline.escalation.urls")),
    path("", include("backline.escalation.collab_urls")),
    path("accounts/", include("backline.accounts.urls")),
    path("notifications/", include("backline.notifications.urls")),
    path("settings/routing/", include("backline.tickets.routing_urls")),
    path("settings/alerts/", include("backline.intake.urls")),
    path("settings/mailboxes/", include("backline.intake.mail_urls")),
    path("email-preferences/", include("backline.mailout.urls")),
    path("settings/webhooks/", include("backline.webhooks.urls")),
    path("settings/", include("backline.sla.urls")),
    path("search/", include("backline.search.urls")),
    path("kb/", include("backline.knowledge.urls")),
    path("cmdb/", include("backline.cmdb.urls")),
    path("changes/", include("backline.changes.urls")),
    path("problems/", include("backline.problems.urls")),
    path("known-errors/", include("backline.problems.ke_urls")),
    path("worklog/", include("backline.worklog.urls")),
    path("rate/", include("backline.satisfaction.urls")),
    path("settings/import/", include("backline.imports.urls")),
    path("analytics/", include("backline.analytics.urls")),
    path("staffing/", include("backline.staffing.urls")),
    path("audit/", include("backline.audit.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
