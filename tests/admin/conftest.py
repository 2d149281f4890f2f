"""Fixtures for the admin tests: staff users with chosen model permissions, logged in."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.org import make_user


def grant_model_perms(user, *codenames: str) -> None:
    """Give ``user`` global model permissions, by ``app_label.codename``."""
    for name in codenames:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    """The page as a person reads it (entities unescaped)."""
    return html.unescape(response.content.decode())


@pytest.fixture
def superuser(db):
    return make_user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def root_client(superuser) -> Client:
    return logged_in(superuser)


PROJECT_URL = "/admin/projects/project/{}/change/"


def project_post(project, **changes) -> dict:
    """The project change form's POST data, with ``changes`` applied."""
    data = {
        "name": project.name,
        "description": project.description,
        "repository_url": project.repository_url,
        "default_branch": project.default_branch,
        "status": project.status,
        "reviewer_teams": [t.pk for t in project.reviewer_teams.all()],
        "components": [p.pk for p in project.components.all()],
    }
    data.update(changes)
    return data
