"""Team pages (namespace ``teams``)."""

from django.urls import path

from . import views_teams, views_teams_write

app_name = "teams"

urlpatterns = [
    path("", views_teams.team_list, name="list"),
    path("<slug:slug>/", views_teams.team_detail, name="detail"),
    path("<slug:slug>/manage/", views_teams_write.team_manage, name="manage"),
    path("<slug:slug>/members/add/", views_teams_write.member_add, name="member_add"),
    path("<slug:slug>/members/remove/", views_teams_write.member_remove, name="member_remove"),
    path("<slug:slug>/roles/grant/", views_teams_write.role_grant, name="role_grant"),
    path("<slug:slug>/roles/revoke/", views_teams_write.role_revoke, name="role_revoke"),
]
