from django.urls import path

from backline.cmdb import views

app_name = "cmdb"
urlpatterns = [
    path("", views.ci_list, name="cis"),
    path("cis/new", views.ci_form, name="ci_create"),
    path("cis/<int:pk>", views.ci_detail, name="ci"),
    path("cis/<int:pk>/edit", views.ci_form, name="ci_edit"),
    path("cis/<int:pk>/retire", views.ci_retire, name="ci_retire"),
    path("cis/<int:pk>/dependencies", views.dependency_add, name="dependency_add"),
    path("dependencies/<int:pk>/remove", views.dependency_remove, name="dependency_remove"),
    path("services", views.service_list, name="services"),
    path("services/new", views.service_form, name="service_create"),
    path("services/<int:pk>", views.service_detail, name="service"),
    path("services/<int:pk>/edit", views.service_form, name="service_edit"),
    path("types", views.ci_types, name="types"),
    path("types/<slug:slug>", views.ci_types, name="type_edit"),
    path("import", views.import_page, name="import"),
    path("export.json", views.export, name="export"),
]
