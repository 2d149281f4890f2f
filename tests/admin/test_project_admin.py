"""The project admin saves through project_create / project_update: one event per
save that changed something, none for an unchanged save."""

from __future__ import annotations

import pytest

from projects.models import AuditEvent, Project
from projects.permissions import Action, user_can

from .conftest import PROJECT_URL, project_post

pytestmark = pytest.mark.django_db


def _updates(project) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(project=project, kind="project.updated"))


def test_an_unchanged_save_writes_no_event(org, root_client):
    page = root_client.post(PROJECT_URL.format(org.project.pk), project_post(org.project))
    assert page.status_code == 302
    assert _updates(org.project) == []


def test_a_save_writes_one_event_with_fields_and_relations(org, superuser, root_client):
    data = project_post(org.project, name="Vision v2", reviewer_teams=[org.teams["product"].pk])
    assert root_client.post(PROJECT_URL.format(org.project.pk), data).status_code == 302
    (event,) = _updates(org.project)
    assert event.actor_id == superuser.pk
    assert event.payload["name"] == {"from": "Vision model", "to": "Vision v2"}
    assert event.payload["reviewer_teams"] == {
        "from": ["engineering", "ethics-ops", "product"],
        "to": ["product"],
    }
    # the permission rows followed the reviewer teams (through the service)
    assert user_can(org.prod, Action.VIEW, org.project)
    assert not user_can(org.eng, Action.VIEW, org.project)


def test_creating_in_the_admin_uses_the_service(org, superuser, root_client):
    page = root_client.post(
        "/admin/projects/project/add/",
        {
            "team": org.teams["research"].pk,
            "slug": "speech",
            "name": "Speech",
            "default_branch": "main",
            "status": "active",
            "reviewer_teams": [org.teams["ethics-ops"].pk],
            "components": [org.project.pk],
        },
    )
    assert page.status_code == 302
    speech = Project.objects.get(slug="speech")
    assert list(speech.components.all()) == [org.project]
    assert user_can(org.ethicist, Action.VIEW, speech)
    created = AuditEvent.objects.get(project=speech, kind="project.created")
    assert created.actor_id == superuser.pk
    assert not AuditEvent.objects.filter(project=speech, kind="project.updated").exists()


HUGE_IDS = ["99999999999999999999999", "9223372036854775808", "-9223372036854775809"]


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_an_id_past_64_bits_in_a_many_to_many_field_is_a_form_error(org, root_client, huge):
    """SQLite cannot bind it to the field's ``pk__in`` lookup: this was a 500."""
    page = root_client.post(
        "/admin/projects/project/add/",
        {
            "team": org.teams["research"].pk,
            "slug": "speech",
            "name": "Speech",
            "default_branch": "main",
            "status": "active",
            "reviewer_teams": [huge],
            "components": [huge],
        },
    )
    assert page.status_code == 200
    errors = page.context["adminform"].form.errors
    assert set(errors) == {"reviewer_teams", "components"}
    assert not Project.objects.filter(slug="speech").exists()


def test_an_id_past_64_bits_in_a_gate_policys_roles_is_a_form_error(org, root_client):
    from gates.models import GatePolicy

    policy = GatePolicy.objects.order_by("pk").first()
    before = policy.versions.count()
    page = root_client.post(
        f"/admin/gates/gatepolicy/{policy.pk}/change/", {"waiver_roles": [HUGE_IDS[0]]}
    )
    assert page.status_code == 200
    assert "waiver_roles" in page.context["adminform"].form.errors
    assert policy.versions.count() == before


def test_a_slug_with_uppercase_or_underscores_is_refused_in_the_services_words(org, root_client):
    page = root_client.post(
        "/admin/projects/project/add/",
        {
            "team": org.teams["research"].pk,
            "slug": "Speech_Model",
            "name": "Speech",
            "default_branch": "main",
            "status": "active",
        },
    )
    assert page.status_code == 200
    assert page.context["adminform"].form.errors["slug"] == [
        "Use only lowercase letters, digits and hyphens in the short name."
    ]
    assert not Project.objects.filter(name="Speech").exists()
