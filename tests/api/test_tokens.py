"""API tokens: stored hashed, shown once, scoped, expiring, revocable, one query to check."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from projects.models import ApiToken
from projects.tokens import LAST_USED_RESOLUTION, token_create, token_digest
from tests.api.conftest import token_client


def test_token_is_stored_as_prefix_and_keyed_digest_never_the_secret(org):
    issued = token_create(user=org.researcher, name="ci", scopes=["read"], actor=org.researcher)
    row = ApiToken.objects.get(pk=issued.token.pk)
    prefix, secret = issued.text.removeprefix("mltrl_").split("_", 1)
    assert row.prefix == prefix and len(secret) >= 40
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=row.pk).values().first().values())
    assert secret not in stored
    assert row.digest == token_digest(prefix, secret)


def test_digest_depends_on_the_settings_key(org, settings):
    before = token_digest("abcd1234", "s" * 43)
    settings.MLTRL_TOKEN_KEY = "another-key-" + "x" * 40
    assert token_digest("abcd1234", "s" * 43) != before


def test_a_changed_key_invalidates_tokens(org, settings):
    client = token_client(org.researcher)
    assert client.get("/api/v1/levels/").status_code == 200
    settings.MLTRL_TOKEN_KEY = "rotated-" + "y" * 40
    assert client.get("/api/v1/levels/").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer mltrl_00000000_" + "x" * 43,  # unknown prefix
        "Bearer nonsense",
        "Bearer",
        "Bearer a b",
        "Bearer mltrl_zz_short",
    ],
)
def test_malformed_or_unknown_tokens_are_401_with_json(org, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_wrong_secret_with_a_real_prefix_is_refused(org):
    client = token_client(org.researcher)
    prefix = client.token.prefix
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION=f"Bearer mltrl_{prefix}_{'A' * 43}")
    assert forged.get("/api/v1/levels/").status_code == 401


def test_inactive_user_token_stops_working(org):
    client = token_client(org.researcher)
    org.researcher.is_active = False
    org.researcher.save()
    assert client.get("/api/v1/levels/").status_code == 401


def test_last_used_time_and_address_are_recorded(org):
    client = token_client(org.researcher)
    assert client.get("/api/v1/levels/", REMOTE_ADDR="10.1.2.3").status_code == 200
    token = ApiToken.objects.get(pk=client.token.pk)
    assert token.last_used_ip == "10.1.2.3"
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_token_authentication_adds_one_query(org, django_assert_num_queries):
    """The levels endpoint reads nothing from the database: what remains is auth."""
    client = token_client(org.researcher)
    client.get("/api/v1/levels/")  # first use writes last_used_at (once a minute)
    with django_assert_num_queries(1):
        assert client.get("/api/v1/levels/").status_code == 200
    ApiToken.objects.filter(pk=client.token.pk).update(
        last_used_at=timezone.now() - LAST_USED_RESOLUTION
    )
    with django_assert_num_queries(2):  # the lookup, and the last-used update
        assert client.get("/api/v1/levels/").status_code == 200


def test_create_refuses_other_users_unknown_scopes_invisible_projects_and_past_expiry(
    org, other_project
):
    with pytest.raises(PermissionDenied):
        token_create(user=org.lead, name="x", scopes=["read"], actor=org.researcher)
    with pytest.raises(ValidationError) as bad_scope:
        token_create(user=org.researcher, name="x", scopes=["admin"], actor=org.researcher)
    assert "scopes" in bad_scope.value.message_dict
    with pytest.raises(ValidationError) as hidden:
        token_create(
            user=org.researcher,
            name="x",
            scopes=["read"],
            projects=[other_project],
            actor=org.researcher,
        )
    assert "projects" in hidden.value.message_dict
    with pytest.raises(ValidationError) as past:
        token_create(
            user=org.researcher,
            name="x",
            scopes=["read"],
            expires_at=timezone.now() - timedelta(days=1),
            actor=org.researcher,
        )
    assert "expires_at" in past.value.message_dict
    assert not ApiToken.objects.exists()


def test_management_command_creates_lists_and_revokes(org):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token",
        "create",
        "--user=researcher",
        "--name=pipeline",
        "--scope=read",
        "--scope=evidence:write",
        "--project=vision",
        "--days=30",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue().strip()
    assert "Shown once" in err.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    assert client.get("/api/v1/projects/vision/").status_code == 200
    token = ApiToken.objects.get()
    assert token.project_ids == [org.project.pk]
    listing = io.StringIO()
    call_command("token", "list", "--user=researcher", stdout=listing)
    assert token.prefix in listing.getvalue() and "live" in listing.getvalue()
    secret = text.split("_", 2)[2]  # the secret may itself hold "_"
    assert secret not in listing.getvalue()
    call_command("token", "revoke", token.prefix, stdout=io.StringIO())
    assert client.get("/api/v1/projects/vision/").status_code == 401
    with pytest.raises(CommandError, match="only your own"):
        other = token_client(org.lead).token
        call_command("token", "revoke", other.prefix, "--actor=researcher")
    with pytest.raises(CommandError, match="at least 1"):
        call_command("token", "create", "--user=researcher", "--name=x", "--scope=read", "--days=0")
