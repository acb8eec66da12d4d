from django.urls import path  # noqa: F401

app_name = "known_errors"
urlpatterns: list = []
