"""Mailboxes pages; included at settings/mailboxes/ by config/urls.py."""

from django.urls import path

from backline.intake import mail_views

app_name = "mail"
urlpatterns = [
    path("", mail_views.mailboxes, name="mailboxes"),
    path("new/", mail_views.mailbox_new, name="mailbox_create"),
]
