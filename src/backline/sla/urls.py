"""SLA settings pages; included at settings/ by config/urls.py."""

from django.urls import path

from backline.sla import views

app_name = "sla"
urlpatterns = [
    path("sla/", views.policy_list, name="policies"),
    path("sla/new/", views.policy_edit, name="policy_create"),
    path("sla/<int:policy_id>/edit/", views.policy_edit, name="policy_edit"),
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/new/", views.calendar_edit, name="calendar_create"),
    path("calendars/<int:calendar_id>/edit/", views.calendar_edit, name="calendar_edit"),
]
