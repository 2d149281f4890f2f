"""Gate pages (namespace ``gates``)."""

from django.urls import path

from . import views

app_name = "gates"

urlpatterns = [
    path("roles/", views.roles, name="roles"),
    path("projects/<slug:slug>/repository/", views.project_repository, name="project_repository"),
]
