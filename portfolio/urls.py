"""Portfolio pages (namespace ``portfolio``); the JSON lives under /api/v1/portfolio/."""

from django.urls import path

from . import views

app_name = "portfolio"

urlpatterns = [
    path("", views.index, name="index"),
    path("projects/", views.projects, name="projects"),
    path("requests/", views.requests, name="requests"),
    path("<slug:key>.csv", views.table_csv, name="csv"),
]
