from django.urls import path

from backline.changes import views

app_name = "changes"
urlpatterns = [
    path("", views.change_list, name="list"),
    path("new", views.change_create, name="create"),
    path("tickets/<str:number>/what-changed", views.ticket_what_changed, name="what_changed"),
    path("tickets/<str:number>/affected", views.ticket_affected, name="affected"),
    path("tickets/<str:number>/link", views.ticket_link, name="ticket_link"),
    path("tickets/<str:number>/unlink", views.ticket_unlink, name="ticket_unlink"),
    path("<str:number>", views.change_detail, name="detail"),
    path("<str:number>/edit", views.change_edit, name="edit"),
    path("<str:number>/transition", views.change_transition, name="transition"),
]
