from django.urls import path

from backline.problems import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new", views.problem_create, name="create"),
    path("actions", views.my_actions, name="my_actions"),
    path("actions/overdue", views.overdue_strip, name="overdue_strip"),
    path("bulk-link", views.bulk_link, name="bulk_link"),
    path("tickets/<str:number>/link", views.ticket_link, name="ticket_link"),
    path("tickets/<str:number>/unlink", views.ticket_unlink, name="ticket_unlink"),
    path("<str:number>", views.problem_detail, name="detail"),
    path("<str:number>/edit", views.problem_edit, name="edit"),
    path("<str:number>/transition", views.problem_transition, name="transition"),
    path("<str:number>/incidents/link", views.incidents_link, name="link"),
    path("<str:number>/incidents/unlink", views.incident_unlink, name="unlink"),
    path("<str:number>/rca/timeline", views.timeline_add, name="timeline_add"),
    path(
        "<str:number>/rca/timeline/<int:entry_id>/remove",
        views.timeline_remove,
        name="timeline_remove",
    ),
    path("<str:number>/rca/whys", views.whys_save, name="whys"),
    path("<str:number>/rca/factors", views.factor_add, name="factor_add"),
    path(
        "<str:number>/rca/factors/<int:factor_id>/remove", views.factor_remove, name="factor_remove"
    ),
    path("<str:number>/rca/root-cause", views.root_cause_save, name="root_cause"),
    path("<str:number>/actions", views.action_add, name="action_add"),
    path("<str:number>/actions/<int:action_id>", views.action_edit, name="action_edit"),
    path(
        "<str:number>/actions/<int:action_id>/transition",
        views.action_transition,
        name="action_transition",
    ),
    path("<str:number>/report.md", views.report_markdown, name="report_md"),
    path("<str:number>/report", views.report_html, name="report"),
]
