"""Managing a team in the browser: nobody acts on their own row, and a change that
finds nothing to change says so instead of redirecting in silence."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from projects.models import AuditEvent, Membership, RoleGrant
from projects.services import membership_maintainer_set
from tests.org import admin_actor


@pytest.fixture
def lead(ui, client):
    """``lead`` maintains research and holds research-lead there; signed in."""
    membership_maintainer_set(
        team=ui.org.teams["research"], user=ui.org.lead, is_maintainer=True, actor=admin_actor()
    )
    client.force_login(ui.org.lead)
    return client


def _row(page: str, username: str) -> str:
    match = re.search(rf"<tr><td><strong>{username}</strong>.*?</tr>", page, re.S)
    assert match, username
    return match.group(0)


def test_no_revoke_or_remove_button_on_ones_own_row(ui, lead):
    page = lead.get(reverse("teams:manage", args=["research"])).content.decode()
    mine, peers = _row(page, "lead"), _row(page, "peer")
    assert "research-lead" in mine
    assert reverse("teams:role_revoke", args=["research"]) not in mine
    assert reverse("teams:member_remove", args=["research"]) not in mine
    assert reverse("teams:role_revoke", args=["research"]) in peers
    assert reverse("teams:member_remove", args=["research"]) in peers


def test_forged_posts_on_oneself_are_refused_in_words_and_change_nothing(ui, lead):
    for name, data, sentence in [
        ("teams:role_revoke", {"username": "lead", "role": "research-lead"}, "revoke a role from"),
        ("teams:member_remove", {"username": "lead"}, "Nobody can remove themselves"),
    ]:
        response = lead.post(reverse(name, args=["research"]), data)
        assert response.status_code == 403, name
        assert sentence in response.content.decode()
    research = ui.org.teams["research"]
    assert Membership.objects.get(team=research, user=ui.org.lead).is_maintainer
    assert RoleGrant.objects.filter(team=research, user=ui.org.lead).exists()
    assert not AuditEvent.objects.filter(kind__in=["membership.removed", "role.revoked"]).exists()


def test_nothing_to_revoke_or_remove_is_a_form_error_not_a_silent_redirect(ui, lead):
    response = lead.post(
        reverse("teams:role_revoke", args=["research"]), {"username": "peer", "role": "ethics"}
    )
    assert response.status_code == 400
    assert "peer does not hold the role ethics in Research" in response.content.decode()
    response = lead.post(reverse("teams:member_remove", args=["research"]), {"username": "prod"})
    assert response.status_code == 400
    assert "prod is not a member of Research" in response.content.decode()


def test_an_administrator_still_revokes_and_removes_others(ui, client):
    client.force_login(admin_actor())
    response = client.post(
        reverse("teams:role_revoke", args=["research"]),
        {"username": "lead", "role": "research-lead"},
    )
    assert response.status_code == 302
    response = client.post(reverse("teams:member_remove", args=["research"]), {"username": "peer"})
    assert response.status_code == 302
    research = ui.org.teams["research"]
    assert not RoleGrant.objects.filter(team=research, user=ui.org.lead).exists()
    assert not Membership.objects.filter(team=research, user=ui.org.peer).exists()
