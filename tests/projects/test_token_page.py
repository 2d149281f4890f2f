"""The account page for API tokens: create (shown once), list, revoke; audited."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from projects import services
from projects.models import ApiToken, AuditEvent
from projects.tokens import token_create
from tests.api.conftest import session_client
from tests.org import admin_actor, make_user

LIST, NEW = reverse("tokens:list"), reverse("tokens:new")


@pytest.fixture
def second_project(org):
    return services.project_create(
        team=org.teams["research"], slug="nlp", name="NLP", actor=org.researcher
    )


@pytest.fixture
def other_project(org):
    """Another team's project: the researcher cannot see it."""
    team = services.team_create(slug="audio", name="Audio", actor=admin_actor())
    member = make_user("audio-dev")
    services.membership_add(team=team, user=member, actor=admin_actor())
    return services.project_create(team=team, slug="speech", name="Speech", actor=member)


def _issued(html: str) -> str:
    match = re.search(r'id="issued-text" name="issued-text" value="([^"]+)"', html)
    assert match, "no token shown"
    return unescape(match.group(1))


def test_create_shows_the_token_once_and_it_works_on_the_api(org, second_project):
    client = session_client(org.researcher)
    body = {"name": "ci of nlp", "scopes": ["read", "evidence:write"], "projects": " nlp ,"}
    response = client.post(NEW, {**body, "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    text = _issued(response.content.decode())
    token = ApiToken.objects.get(user=org.researcher)
    assert (token.name, token.scopes, token.project_ids) == (
        "ci of nlp",
        ["evidence:write", "read"],
        [second_project.pk],
    )
    assert token.expires_at is not None and text.startswith(f"mltrl_{token.prefix}_")
    assert text not in token.digest  # stored hashed
    event = AuditEvent.objects.filter(kind="token.created").latest("seq")
    assert (event.actor, event.payload["token"]) == (org.researcher, token.prefix)
    # Shown once: the list afterwards has the prefix, never the text.
    page = client.get(LIST).content.decode()
    assert token.prefix in page and text not in page and "issued-text" not in page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
    assert api.get("/api/v1/projects/nlp/").status_code == 200
    assert api.get("/api/v1/projects/vision/").status_code == 404  # restricted to nlp
    # The page shows when and from where it was last used.
    page = client.get(LIST).content.decode()
    assert "from 127.0.0.1" in page


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "", "scopes": ["read"]}, "name", "Name the token after what will use it"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name", "100 characters or fewer"),
        ({"name": "ci"}, "scopes", "Choose at least one scope"),
        ({"name": "ci", "scopes": ["admin"]}, "scopes", "Choose scopes from the list."),
        ({"name": "ci", "scopes": ["read"], "days": "0"}, "days", "A token lasts at least 1 day"),
        ({"name": "ci", "scopes": ["read"], "days": "3651"}, "days", "at most 3650 days"),
        ({"name": "ci", "scopes": ["read"], "days": "x"}, "days", "as a whole number from 1"),
        (
            {"name": "ci", "scopes": ["read"], "projects": "speech, nowhere"},
            "projects",
            "No project you can see is called nowhere, speech.",
        ),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(org, other_project, body, field, message):
    response = session_client(org.researcher).post(NEW, body)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert "There is a problem" in html and message in html
    assert f'id="id_{field}' in html
    assert "This field is required." not in html and "Ensure this value" not in html
    assert not ApiToken.objects.exists()


def test_list_shows_only_your_tokens_and_revoke_is_audited(org):
    mine = token_create(user=org.researcher, name="mine", scopes=["read"], actor=org.researcher)
    theirs = token_create(user=org.eng, name="theirs", scopes=["read"], actor=org.eng)
    client = session_client(org.researcher)
    page = client.get(LIST).content.decode()
    assert mine.token.prefix in page and theirs.token.prefix not in page
    assert "every project you see" in page and "never" in page
    # Someone else's token: 404, untouched.
    assert client.post(reverse("tokens:revoke", args=[theirs.token.prefix])).status_code == 404
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None
    response = client.post(reverse("tokens:revoke", args=[mine.token.prefix]))
    assert response.status_code == 302 and response["Location"] == LIST
    mine.token.refresh_from_db()
    assert mine.token.revoked_at is not None
    event = AuditEvent.objects.filter(kind="token.revoked").latest("seq")
    assert (event.actor, event.payload) == (org.researcher, {"token": mine.token.prefix})
    page = client.get(LIST).content.decode()
    assert "revoked" in page and f"{reverse('tokens:revoke', args=[mine.token.prefix])}" not in page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {mine.text}")
    assert api.get("/api/v1/levels/").status_code == 401


def test_anonymous_is_sent_to_sign_in_and_posts_need_csrf(org, client):
    assert client.get(LIST).status_code == 302
    assert client.post(NEW, {"name": "x", "scopes": ["read"]}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(org.researcher)
    assert strict.post(NEW, {"name": "x", "scopes": ["read"]}).status_code == 403
    assert not ApiToken.objects.exists()
    assert strict.get(LIST).status_code == 200
    assert strict.get(NEW).status_code == 405


def test_the_account_menu_links_to_the_page(org):
    html = session_client(org.researcher).get(reverse("reviews:home")).content.decode()
    assert f'href="{LIST}"' in html
