from django.urls import path

from backline.tickets import views

app_name = "tickets"
urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.queue, name="queue"),
    path("tickets/new/", views.create, name="create"),
    path("tickets/<str:number>/", views.detail, name="detail"),
    path("tickets/<str:number>/edit/", views.edit, name="edit"),
    path("tickets/<str:number>/assign/", views.assign, name="assign"),
    path("tickets/<str:number>/transition/", views.transition, name="transition"),
    path("tickets/<str:number>/comment/", views.comment, name="comment"),
    path("tickets/<str:number>/watch/", views.watch, name="watch"),
    path("tickets/<str:number>/link/", views.link, name="link"),
    path("tickets/<str:number>/unlink/<int:link_id>/", views.unlink, name="unlink"),
    path("attachments/<int:attachment_id>/", views.download, name="download"),
]
