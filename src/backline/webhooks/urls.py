from django.urls import path

from backline.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new", views.subscription_create, name="create"),
    path("<int:pk>", views.subscription_detail, name="detail"),
    path("<int:pk>/edit", views.subscription_edit, name="edit"),
    path("<int:pk>/rotate", views.subscription_rotate, name="rotate"),
    path("<int:pk>/toggle", views.subscription_toggle, name="toggle"),
    path("<int:pk>/delete", views.subscription_delete, name="delete"),
    path("<int:pk>/test", views.subscription_test, name="test"),
    path("deliveries/<int:pk>", views.delivery_detail, name="delivery"),
    path("deliveries/<int:pk>/replay", views.delivery_replay, name="replay"),
]
