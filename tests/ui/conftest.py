"""The cast of the page tests: who stands where relative to project ``vision``.

``vision`` (owned by research, reviewed by engineering, product, ethics-ops) is
entered at level 4 and has an open advance 4 -> 5 request by ``researcher``.
That gate counts research-lead, product (independent) and ethics (independent):
``prod`` is a reviewer of the right role, ``eng`` one of the wrong role.
``stranger`` is in team gamma, which owns ``secret`` and touches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from projects.models import Project
from reviews.models import LevelChangeRequest
from tests.org import Org, build_org

from . import builders

# Test-table roles -> usernames of tests.org (None: anonymous)
PEOPLE = {
    "owner": "researcher",
    "right_role": "prod",
    "wrong_role": "eng",
    "other_team": "stranger",
    "manager": "manager",
    "anonymous": None,
}


@dataclass
class UI:
    org: Org
    vision: Project
    secret: Project
    request: LevelChangeRequest

    def user(self, who: str):
        name = PEOPLE[who]
        return AnonymousUser() if name is None else self.org.users[name]


@pytest.fixture
def ui(db) -> UI:
    org = build_org()
    _, _, secret = builders.other_team(org)
    vision = builders.enter_at(org, 4)
    request = builders.open_advance(org, vision)
    return UI(org, vision, secret, request)


@pytest.fixture
def login(client):
    """Sign the test client in as one of the table's people (anonymous: no-op)."""

    def _login(ui: UI, who: str):
        client.logout()
        if PEOPLE[who] is not None:
            client.force_login(ui.user(who))
        return client

    return _login
