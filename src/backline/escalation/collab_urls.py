"""Pages for collaboration tasks, alerts and major incidents (included at the site root)."""

from django.urls import path

from backline.escalation import collab_views as views

app_name = "collab"
urlpatterns = [
    path("tickets/<str:number>/tasks/", views.task_new, name="task_new"),
    path("tickets/<str:number>/alert/", views.alert_new, name="alert_new"),
    path("tickets/<str:number>/major/", views.major_new, name="major_new"),
    path("tasks/", views.task_queue, name="task_queue"),
    path("tasks/<int:task_id>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_id>/update/", views.task_update, name="task_update"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/ack/", views.alert_ack, name="alert_ack"),
]
