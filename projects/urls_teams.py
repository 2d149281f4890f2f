"""Team pages (namespace ``teams``)."""

from django.urls import path

from . import views_teams

app_name = "teams"

urlpatterns = [
    path("", views_teams.team_list, name="list"),
    path("<slug:slug>/", views_teams.team_detail, name="detail"),
]
