from django.urls import path

from backline.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("new", views.job_create, name="create"),
    path("new/columns", views.job_columns, name="columns"),
    path("<int:pk>", views.job_detail, name="detail"),
    path("<int:pk>/run", views.job_run, name="run"),
]
