from django.urls import path

from backline.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("new", views.create, name="create"),
    path("suggest", views.suggest, name="suggest"),
    path("articles/<str:number>", views.article, name="article"),
    path("tickets/<str:number>", views.ticket, name="ticket"),
    path("tickets/<str:number>/reply", views.reply, name="reply"),
    path("tickets/<str:number>/confirm", views.confirm, name="confirm"),
    path("tickets/<str:number>/reject", views.reject, name="reject"),
    path("link/<str:token>", views.signed_in_by_link, name="link"),
]
