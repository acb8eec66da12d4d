from django.urls import path

from backline.mailout import views

app_name = "mailout"
urlpatterns = [
    path("", views.preferences, name="preferences"),
]
