from django.apps import AppConfig


class StaffingConfig(AppConfig):
    name = "backline.staffing"
    label = "staffing"
    verbose_name = "Staffing"
