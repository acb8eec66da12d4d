from django.urls import path

from backline.diagnostics import views

app_name = "diagnostics"
urlpatterns = [
    path("tickets/<str:number>/logs/", views.logs_panel, name="panel"),
    path("tickets/<str:number>/logs/upload", views.log_upload, name="upload"),
    path("tickets/<str:number>/logs/<int:log_id>/", views.log_detail, name="log"),
    path("tickets/<str:number>/logs/<int:log_id>/progress", views.log_progress, name="progress"),
    path("tickets/<str:number>/logs/<int:log_id>/around", views.log_around, name="around"),
    path("tickets/<str:number>/logs/<int:log_id>/templates", views.log_templates, name="templates"),
    path(
        "tickets/<str:number>/logs/<int:log_id>/templates/<int:template>",
        views.template_lines,
        name="template_lines",
    ),
    path("tickets/<str:number>/logs/<int:log_id>/context", views.line_context, name="context"),
    path("tickets/<str:number>/logs/<int:log_id>/search", views.log_search, name="search"),
    path("tickets/<str:number>/logs/<int:log_id>/compare", views.log_compare, name="compare"),
    path("tickets/<str:number>/logs/<int:log_id>/pin", views.evidence_pin, name="pin"),
    path("tickets/<str:number>/logs/<int:log_id>/reprocess", views.log_reprocess, name="reprocess"),
    path("tickets/<str:number>/logs/<int:log_id>/delete", views.log_delete, name="delete"),
    path(
        "tickets/<str:number>/evidence/<int:evidence_id>/unpin",
        views.evidence_unpin,
        name="unpin",
    ),
]
