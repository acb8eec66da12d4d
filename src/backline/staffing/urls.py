from django.urls import path

from backline.staffing import views

app_name = "staffing"
urlpatterns = [
    path("", views.forecast, name="forecast"),
    path("validate", views.validate, name="validate"),
    path("<slug:slug>/schedule", views.schedule_edit, name="schedule"),
]
