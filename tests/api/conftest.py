"""Callers of the API, built once per test through the real services.

``callers(org)`` maps a caller name to a function that makes an ``APIClient``
authenticated that way: a session (owner, reviewer, other team), nobody, or a
token (various scopes, restricted to another project, expired, revoked).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from projects import services
from projects.models import ApiToken
from projects.tokens import token_create, token_revoke
from tests.org import admin_actor, make_user

ALL_SCOPES = ("read", "evidence:write", "requests:write", "webhooks:write")


def token_client(user, scopes=ALL_SCOPES, **kwargs) -> APIClient:
    issued = token_create(user=user, name="ci", scopes=scopes, actor=user, **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.text}")
    client.token = issued.token
    client.token_text = issued.text
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """Throttle budgets live in the cache; each test starts with a full one."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def other_project(org):
    """A project of a team that has nothing to do with ``vision``."""
    team = services.team_create(slug="audio", name="Audio", actor=admin_actor())
    member = make_user("audio-dev")
    services.membership_add(team=team, user=member, actor=admin_actor())
    org.users["audio-dev"] = member
    return services.project_create(team=team, slug="speech", name="Speech", actor=member)


@pytest.fixture
def second_project(org):
    """A second project of the owning team: a token restricted to it cannot reach vision."""
    return services.project_create(
        team=org.teams["research"], slug="nlp", name="NLP", actor=org.researcher
    )


@pytest.fixture
def callers(org, other_project, second_project):
    def expired():
        client = token_client(org.researcher)
        ApiToken.objects.filter(pk=client.token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        return client

    def revoked():
        client = token_client(org.researcher)
        token_revoke(token=client.token, actor=org.researcher)
        return client

    return {
        "owner": lambda: session_client(org.researcher),
        "reviewer": lambda: session_client(org.eng),
        "other_team": lambda: session_client(org.users["audio-dev"]),
        "anonymous": APIClient,
        "token_all": lambda: token_client(org.researcher),
        "token_read": lambda: token_client(org.researcher, scopes=("read",)),
        "token_evidence": lambda: token_client(org.researcher, scopes=("evidence:write",)),
        "token_reviewer": lambda: token_client(org.eng),
        "token_restricted": lambda: token_client(org.researcher, projects=[second_project]),
        "token_owner_restricted": lambda: token_client(
            org.researcher, projects=[org.project], scopes=ALL_SCOPES
        ),
        "token_expired": expired,
        "token_revoked": revoked,
    }
