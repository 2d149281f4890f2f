"""Permissions derive only from memberships and role grants: the admin offers no
guardian object-permission pages, and team groups are not editable on the user
or group forms (a save keeps them)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.models import AuditEvent, ProjectGroupObjectPermission, ProjectUserObjectPermission
from projects.permissions import Action, user_can

from .conftest import text

pytestmark = pytest.mark.django_db


def _rows() -> tuple[int, int]:
    return ProjectUserObjectPermission.objects.count(), ProjectGroupObjectPermission.objects.count()


def test_guardian_object_permission_pages_are_gone(org, root_client):
    base = f"/admin/projects/project/{org.project.pk}/permissions/"
    group = org.teams["product"].members_group
    before = _rows()
    assert root_client.get(base).status_code == 404
    assert root_client.get(f"{base}user-manage/{org.outsider.pk}/").status_code == 404
    assert root_client.get(f"{base}group-manage/{group.pk}/").status_code == 404
    # guardian's forms: grant a user, then a group, every action on the project
    every = ["view_project", "change_project", "request_level_change", "sign_off", "waive_check"]
    posts = [
        (base, {"user": org.outsider.username, "submit_manage_user": "x"}),
        (f"{base}user-manage/{org.outsider.pk}/", {"permissions": every}),
        (f"{base}group-manage/{group.pk}/", {"permissions": every}),
    ]
    for url, data in posts:
        assert root_client.post(url, data).status_code == 404, url
    assert _rows() == before
    assert not user_can(org.outsider, Action.VIEW, org.project)
    assert not user_can(org.prod, Action.CHANGE, org.project)
    change = root_client.get(f"/admin/projects/project/{org.project.pk}/change/")
    assert "Object permissions" not in text(change)


def _user_post(user, groups) -> dict:
    return {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "groups": [g.pk for g in groups],
        "user_permissions": [],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }


def test_the_user_form_does_not_offer_team_groups(org, root_client):
    page = root_client.get(f"/admin/auth/user/{org.lead.pk}/change/")
    offered = {g.name for g in page.context["adminform"].form.fields["groups"].queryset}
    assert offered == set()  # the org has only team groups
    editors = Group.objects.create(name="card-editors")
    page = root_client.get(f"/admin/auth/user/{org.lead.pk}/change/")
    offered = list(page.context["adminform"].form.fields["groups"].queryset)
    assert offered == [editors]
    shown = text(page)
    assert "team:research:members" in shown and "team:research:reviewers" in shown


def test_saving_a_user_with_groups_empty_keeps_her_team_groups(org, root_client):
    lead = org.lead
    team_groups = set(lead.groups.values_list("name", flat=True))
    assert team_groups == {"team:research:members", "team:research:reviewers"}
    response = root_client.post(f"/admin/auth/user/{lead.pk}/change/", _user_post(lead, []))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert set(lead.groups.values_list("name", flat=True)) == team_groups
    assert user_can(lead, Action.SIGN_OFF, org.project)
    editors = Group.objects.create(name="card-editors")
    root_client.post(f"/admin/auth/user/{lead.pk}/change/", _user_post(lead, [editors]))
    assert set(lead.groups.values_list("name", flat=True)) == team_groups | {"card-editors"}


def test_a_team_group_posted_in_the_user_form_is_refused(org, root_client):
    outsider = org.outsider
    members = org.teams["research"].members_group
    page = root_client.post(
        f"/admin/auth/user/{outsider.pk}/change/", _user_post(outsider, [members])
    )
    assert page.status_code == 200
    assert "groups" in page.context["adminform"].form.errors
    assert not outsider.groups.exists()
    assert not AuditEvent.objects.filter(payload__user="outsider").exists()


def test_team_groups_are_read_only_in_the_group_admin(org, root_client):
    members = org.teams["research"].members_group
    url = f"/admin/auth/group/{members.pk}/change/"
    assert root_client.get(url).context["has_change_permission"] is False
    assert root_client.post(url, {"name": "renamed", "permissions": []}).status_code == 403
    assert (
        root_client.post(f"/admin/auth/group/{members.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    members.refresh_from_db()
    assert members.name == "team:research:members"
    page = root_client.post("/admin/auth/group/add/", {"name": "team:x:members"})
    assert page.status_code == 200
    assert "belong to teams" in " ".join(page.context["adminform"].form.errors["name"])
    assert not Group.objects.filter(name="team:x:members").exists()
