app_name = "worklog"
urlpatterns: list = []
