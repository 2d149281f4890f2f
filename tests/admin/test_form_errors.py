"""A service's refusal from an admin save is a form error (status 200), never a 500,
and nothing is saved: the admin goes through the services (docs/architecture.md)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from projects import services
from projects.admin import MLTRLCardAdmin
from projects.models import AuditEvent, Membership, MLTRLCard, Project, RoleGrant
from projects.permissions import DENIED, Action
from tests.org import admin_actor

from .conftest import PROJECT_URL, grant_model_perms, logged_in, project_post, text

pytestmark = pytest.mark.django_db


def _events(**filters) -> int:
    return AuditEvent.objects.filter(**filters).count()


def test_a_refused_repository_url_shows_on_its_field_and_nothing_is_saved(org, root_client):
    before = _events(project=org.project)
    page = root_client.post(
        PROJECT_URL.format(org.project.pk),
        project_post(org.project, repository_url="ftp://example.com/vision.git", name="Renamed"),
    )
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "repository_url" in form.errors  # on the field the URL check names
    assert "ftp" in " ".join(form.errors["repository_url"])
    assert "ftp" in text(page)
    org.project.refresh_from_db()
    assert (org.project.name, org.project.repository_url) == ("Vision model", "")
    assert _events(project=org.project) == before


def test_a_refused_repository_url_on_creation_creates_nothing(org, root_client):
    page = root_client.post(
        "/admin/projects/project/add/",
        {
            "team": org.teams["research"].pk,
            "slug": "speech",
            "name": "Speech",
            "repository_url": "https://127.0.0.1/speech.git",
            "default_branch": "main",
            "status": "active",
        },
    )
    assert page.status_code == 200
    assert "repository_url" in page.context["adminform"].form.errors
    assert not Project.objects.filter(slug="speech").exists()


def test_a_service_refusal_naming_no_field_shows_above_the_form(org, root_client):
    page = root_client.post(
        PROJECT_URL.format(org.project.pk),
        project_post(org.project, components=[org.project.pk], name="Renamed"),
    )
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.non_field_errors() == ["A project cannot be its own component."]
    assert "A project cannot be its own component." in text(page)
    org.project.refresh_from_db()
    assert org.project.name == "Vision model"  # the rename rolled back with the refusal
    assert not org.project.components.exists()


def test_a_role_grant_for_a_non_member_is_a_form_error(org, root_client):
    before = _events(chain="org")
    page = root_client.post(
        "/admin/projects/rolegrant/add/",
        {
            "team": org.teams["research"].pk,
            "user": org.outsider.pk,
            "role": org.role("research-lead").pk,
        },
    )
    assert page.status_code == 200
    errors = page.context["adminform"].form.non_field_errors()
    assert errors == ["outsider is not a member of Research; add them to the team first."]
    assert "outsider is not a member of Research" in text(page)
    assert not RoleGrant.objects.filter(user=org.outsider).exists()
    assert _events(chain="org") == before


def test_a_user_holding_the_add_permission_cannot_grant_himself_a_role(org):
    lead = org.lead
    lead.is_staff = True
    lead.save()
    grant_model_perms(lead, "projects.add_rolegrant", "projects.view_rolegrant")
    before = _events(chain="org")
    page = logged_in(lead).post(
        "/admin/projects/rolegrant/add/",
        {
            "team": org.teams["research"].pk,
            "user": lead.pk,
            "role": org.role("research-peer").pk,
        },
    )
    assert page.status_code == 200
    assert "yourself" in " ".join(page.context["adminform"].form.errors["user"])
    assert not RoleGrant.objects.filter(user=lead, role__key="research-peer").exists()
    assert _events(chain="org") == before


def test_nobody_adds_himself_to_a_team_not_even_a_superuser(org, superuser, root_client):
    before = _events(chain="org")
    page = root_client.post(
        "/admin/projects/membership/add/",
        {"team": org.teams["research"].pk, "user": superuser.pk},
    )
    assert page.status_code == 200
    assert "yourself" in " ".join(page.context["adminform"].form.errors["user"])
    assert not Membership.objects.filter(user=superuser).exists()
    assert _events(chain="org") == before


def test_a_staff_member_is_offered_only_his_own_teams(org):
    eng = org.eng
    eng.is_staff = True
    eng.save()
    grant_model_perms(eng, "projects.add_membership", "projects.view_membership")
    client = logged_in(eng)
    form = client.get("/admin/projects/membership/add/").context["adminform"].form
    assert list(form.fields["team"].queryset) == [org.teams["engineering"]]
    page = client.post(
        "/admin/projects/membership/add/",
        {"team": org.teams["research"].pk, "user": org.outsider.pk},
    )
    assert page.status_code == 200
    assert "team" in page.context["adminform"].form.errors
    assert not Membership.objects.filter(user=org.outsider).exists()


def test_the_admins_own_permission_check_still_answers_403(org):
    staff = org.outsider
    staff.is_staff = True
    staff.save()
    grant_model_perms(staff, "projects.view_rolegrant")  # may look, may not add
    page = logged_in(staff).post(
        "/admin/projects/rolegrant/add/",
        {"team": org.teams["research"].pk, "user": org.peer.pk, "role": org.role("ethics").pk},
    )
    assert page.status_code == 403
    assert not RoleGrant.objects.filter(user=org.peer, role__key="ethics").exists()


def _staff_with(user, *perms):
    user.is_staff = True
    user.save()
    grant_model_perms(user, *perms)
    return logged_in(user)


def test_revoking_ones_own_role_is_refused_with_a_message(org):
    client = _staff_with(org.lead, "projects.delete_rolegrant", "projects.view_rolegrant")
    grant = RoleGrant.objects.get(user=org.lead)
    before = _events(chain="org")
    page = client.post(
        f"/admin/projects/rolegrant/{grant.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert page.status_code == 200
    assert "You cannot revoke your own role" in text(page)
    assert RoleGrant.objects.filter(pk=grant.pk).exists()
    assert _events(chain="org") == before


def test_a_bulk_delete_with_a_refusal_deletes_nothing(org, superuser, root_client):
    """The selected rows go in one transaction: the refusal of one keeps them all."""
    services.membership_add(team=org.teams["engineering"], user=superuser, actor=admin_actor())
    rows = list(Membership.objects.filter(user__in=[superuser, org.eng2]))
    before = _events(chain="org")
    page = root_client.post(
        "/admin/projects/membership/",
        {
            "action": "delete_selected",
            "_selected_action": [m.pk for m in rows],
            "post": "yes",
        },
        follow=True,
    )
    assert page.status_code == 200
    assert "You cannot remove yourself from a team" in text(page)
    assert Membership.objects.filter(pk__in=[m.pk for m in rows]).count() == 2
    assert _events(chain="org") == before


def test_removing_another_member_goes_through_the_service(org, superuser, root_client):
    row = Membership.objects.get(user=org.eng2)
    page = root_client.post(f"/admin/projects/membership/{row.pk}/delete/", {"post": "yes"})
    assert page.status_code == 302
    assert not Membership.objects.filter(user=org.eng2).exists()
    assert not RoleGrant.objects.filter(user=org.eng2).exists()  # her roles went with it
    event = AuditEvent.objects.filter(chain="org").latest("seq")
    assert (event.kind, event.actor_id) == ("membership.removed", superuser.pk)


class _LooseCardAdmin(MLTRLCardAdmin):
    """The card admin with its own object check switched off: only the service,
    ``card_update``, stands between the user and the card."""

    def has_change_permission(self, request, obj=None) -> bool:
        return True


def test_a_permission_refusal_from_the_service_is_a_form_error_too(org):
    staff = org.prod  # reviews Vision: may see its card, may not edit it
    staff.is_staff = True
    staff.save()
    card = MLTRLCard.objects.get(project=org.project)
    request = RequestFactory().post(
        f"/admin/projects/mltrlcard/{card.pk}/change/",
        {"tldr": "Taken over", "ethics_checklist_status": card.ethics_checklist_status},
    )
    request.user = staff
    request._dont_enforce_csrf_checks = True
    response = _LooseCardAdmin(MLTRLCard, admin.site).change_view(request, str(card.pk))
    assert response.status_code == 200
    response.render()
    form = response.context_data["adminform"].form
    assert form.non_field_errors() == [DENIED[Action.CHANGE]]
    card.refresh_from_db()
    assert card.tldr == ""
    assert not AuditEvent.objects.filter(kind="card.updated").exists()
