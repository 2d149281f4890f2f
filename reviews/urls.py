"""Review pages (namespace ``reviews``): home, requests, the review page and its fragments."""

from django.urls import path

from . import views, views_fragments

app_name = "reviews"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("reviews/", views.request_list, name="list"),
    path("reviews/<int:pk>/", views.request_detail, name="detail"),
    path("reviews/<int:pk>/checks/", views.request_checks, name="checks"),
    path(
        "projects/<slug:slug>/requests/",
        views_fragments.project_requests_fragment,
        name="project_requests",
    ),
]
