"""project_create / team_create validate; project_update checks the change permission
and records only real changes (issue 6, the service contract)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from projects import services
from projects.models import AuditEvent, Project, Team
from tests.org import admin_actor

pytestmark = pytest.mark.django_db


def test_team_create_refuses_a_bad_slug_before_building_group_names():
    groups = Group.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.team_create(slug="Not a slug!", name="Bad", actor=admin_actor())
    assert "slug" in refused.value.message_dict
    assert not Team.objects.filter(name="Bad").exists()
    assert Group.objects.count() == groups


def test_team_create_refuses_a_duplicate_name(org):
    with pytest.raises(ValidationError) as refused:
        services.team_create(slug="research-2", name="Research", actor=admin_actor())
    assert "name" in refused.value.message_dict


def test_team_create_needs_an_administrator(org):
    with pytest.raises(PermissionDenied, match=r"Only an administrator can create teams\."):
        services.team_create(slug="mine", name="Mine", actor=org.lead)


def test_project_create_refuses_a_bad_slug(org):
    with pytest.raises(ValidationError) as refused:
        services.project_create(
            team=org.teams["research"], slug="Not a slug!", name="Bad", actor=org.researcher
        )
    assert "slug" in refused.value.message_dict
    assert not Project.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("slug", ["Vision", "vision_model", "NEW"])
def test_project_create_refuses_uppercase_and_underscores_in_the_slug(org, slug):
    """Django's slug takes them; the help text promises lowercase, digits and hyphens."""
    with pytest.raises(ValidationError) as refused:
        services.project_create(
            team=org.teams["research"], slug=slug, name="Shape", actor=org.researcher
        )
    assert refused.value.message_dict["slug"] == [
        "Use only lowercase letters, digits and hyphens in the short name."
    ]
    assert not Project.objects.filter(name="Shape").exists()


@pytest.mark.parametrize("slug", ["new"])
def test_project_create_refuses_a_slug_that_names_a_page(org, slug):
    """/projects/new/ is the new-project page: a project called "new" could not be reached,
    whether it comes from the form, the API or the admin."""
    with pytest.raises(ValidationError) as refused:
        services.project_create(
            team=org.teams["research"], slug=slug, name="Clash", actor=org.researcher
        )
    assert "reserved for a page of the site" in refused.value.message_dict["slug"][0]
    assert not Project.objects.filter(name="Clash").exists()


def test_project_create_by_a_member_of_the_owning_team_only(org):
    with pytest.raises(PermissionDenied, match="Only members of Research can register"):
        services.project_create(
            team=org.teams["research"], slug="speech", name="Speech", actor=org.eng
        )
    project = services.project_create(
        team=org.teams["research"], slug="speech", name="Speech", actor=org.researcher
    )
    assert project.team == org.teams["research"]


@pytest.mark.parametrize("who", ["outsider", "eng", "prod", "manager"])
def test_project_update_needs_the_change_permission(org, who):
    """An outsider renamed a project, a reviewing-team member changed its URL: refused."""
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.project_update(
            project=org.project, actor=org.users[who], name="Hijacked", status="retired"
        )
    org.project.refresh_from_db()
    assert (org.project.name, org.project.status) == ("Vision model", "active")
    assert AuditEvent.objects.count() == events


def test_project_update_validates_fields(org):
    with pytest.raises(ValidationError) as refused:
        services.project_update(project=org.project, actor=org.lead, name="")
    assert "name" in refused.value.message_dict


def test_a_no_op_update_records_nothing(org):
    project = org.project
    reviewers = list(project.reviewer_teams.all())
    events = AuditEvent.objects.filter(project=project).count()
    services.project_update(
        project=project,
        actor=org.lead,
        name=project.name,
        status=project.status,
        reviewer_teams=reversed(reviewers),  # same set, other order
        components=[],
    )
    assert AuditEvent.objects.filter(project=project).count() == events


def test_an_update_records_what_changed_only(org):
    project = org.project
    product = org.teams["product"]
    services.project_update(
        project=project,
        actor=org.lead,
        name="Vision model v2",
        description=project.description,
        reviewer_teams=[t for t in project.reviewer_teams.all() if t != product],
    )
    event = AuditEvent.objects.filter(project=project, kind="project.updated").get()
    assert event.actor == org.lead
    assert event.payload == {
        "name": {"from": "Vision model", "to": "Vision model v2"},
        "reviewer_teams": {
            "from": ["engineering", "ethics-ops", "product"],
            "to": ["engineering", "ethics-ops"],
        },
    }
