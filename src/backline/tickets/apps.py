from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "backline.tickets"
    label = "tickets"
    verbose_name = "Tickets"
