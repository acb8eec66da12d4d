from django.urls import path

from backline.escalation import views

app_name = "escalation"
urlpatterns = [
    path("tickets/<str:number>/escalate/", views.escalate, name="escalate"),
    path("tickets/<str:number>/deescalate/", views.deescalate, name="deescalate"),
    path("escalations/", views.inbox, name="inbox"),
    path("escalations/metrics/", views.metrics, name="metrics"),
    path("escalations/<int:escalation_id>/accept/", views.accept, name="accept"),
    path("escalations/<int:escalation_id>/return/", views.return_, name="return"),
    path("settings/handoff/", views.handoff_settings, name="handoff_settings"),
]
