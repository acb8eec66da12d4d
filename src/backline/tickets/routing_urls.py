"""Routing rules admin pages; included at settings/routing/ by config/urls.py."""

from django.urls import path

from backline.tickets import routing_views as views

app_name = "routing"
urlpatterns = [
    path("", views.rule_list, name="list"),
    path("new/", views.rule_create, name="create"),
    path("test/", views.rule_test, name="test"),
    path("<int:rule_id>/edit/", views.rule_edit, name="edit"),
    path("<int:rule_id>/move/", views.rule_move, name="move"),
    path("<int:rule_id>/delete/", views.rule_delete, name="delete"),
]
