from django.urls import path

from backline.problems import ke_views as views

app_name = "known_errors"
urlpatterns = [
    path("", views.known_error_list, name="list"),
    path("new", views.known_error_create, name="create"),
    path("proposals/", views.proposal_list, name="proposals"),
    path("proposals/run", views.proposals_run, name="proposals_run"),
    path("proposals/<int:pk>/accept", views.proposal_accept, name="proposal_accept"),
    path("proposals/<int:pk>/dismiss", views.proposal_dismiss, name="proposal_dismiss"),
    path("<int:pk>", views.known_error_detail, name="detail"),
    path("<int:pk>/edit", views.known_error_edit, name="edit"),
    path("<int:pk>/transition", views.known_error_transition, name="transition"),
]
