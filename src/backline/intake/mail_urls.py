"""Mailboxes pages; included at settings/mailboxes/ by config/urls.py."""

from django.urls import path

from backline.intake import mail_views

app_name = "mail"
urlpatterns = [
    path("", mail_views.mailboxes, name="mailboxes"),
    path("new/", mail_views.mailbox_new, name="mailbox_create"),
    path("<int:pk>/edit", mail_views.mailbox_edit, name="mailbox_edit"),
]
