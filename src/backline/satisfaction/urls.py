from django.urls import path

from backline.satisfaction import views

app_name = "satisfaction"
urlpatterns = [
    path("<str:token>/comment", views.comment, name="comment"),
    path("<str:token>/<int:score>", views.rate, name="rate"),
]
