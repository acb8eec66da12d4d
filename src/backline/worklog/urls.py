from django.urls import path

from backline.worklog import views

app_name = "worklog"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("tickets/<str:number>/time", views.entry_log, name="log"),
    path("entries/<int:pk>/delete", views.entry_delete, name="delete"),
]
