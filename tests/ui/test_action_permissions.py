"""Every write view x every kind of person, generated from one table.

A POST to an action on ``vision`` (or its open request) is carried out for
those allowed (a redirect back), refused with 403 for people who see the
project but may not act (a forged POST: no button was shown to them, and
nothing is written), 404 for people who may not see it, and sends anonymous
visitors to the sign-in page. Refusals the services raise come back as a page
with the service's sentence, never a 500.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEvent

from .conftest import PEOPLE

DONE, BAD, DENIED, GONE, LOGIN = "done", 400, 403, 404, "login"
IN_FUTURE = (timezone.now() + timedelta(days=10)).date().isoformat()


def _rev(name):
    return lambda ui: reverse(name, args=[ui.request.pk])


def _slug(name):
    return lambda ui: reverse(name, args=["vision"])


# (action, URL, POST data, expected per person)
ACTIONS = [
    (
        "approve",
        _rev("reviews:signoff"),
        {"decision": "approve", "comment": "fine"},
        # researcher opened it; eng's role fits no slot; manager only views.
        {
            "owner": DENIED,
            "right_role": DONE,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "comment",
        _rev("reviews:comment"),
        {"body": "a remark"},
        {
            "owner": DONE,
            "right_role": DONE,
            "wrong_role": DONE,
            "other_team": GONE,
            "manager": DONE,
            "anonymous": LOGIN,
        },
    ),
    (
        "withdraw",
        _rev("reviews:withdraw"),
        {"reason": "not now"},
        {
            "owner": DONE,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "resubmit-while-open",
        _rev("reviews:resubmit"),
        {"comment": "done"},
        # the owner may resubmit, but an open request has nothing to resubmit: the
        # state machine's sentence comes back as a form error (400), not a 500.
        {
            "owner": BAD,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "rerun-without-repository",
        _rev("reviews:rerun"),
        {},
        {
            "owner": BAD,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "waive",
        _rev("reviews:waiver_new"),
        {"check_key": "datasheet", "reason": "covered elsewhere", "expires_on": IN_FUTURE},
        # 4->5 waivers: research-lead or product; the requester never waives.
        {
            "owner": DENIED,
            "right_role": DONE,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "open-advance-while-one-is-open",
        _slug("reviews:open_advance"),
        {"reason": "ready"},
        {
            "owner": BAD,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "card-edit",
        lambda ui: reverse("projects:card_edit", args=["vision", "tldr"]),
        {"tldr": "A short summary."},
        {
            "owner": DONE,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "team-add-member",
        lambda ui: reverse("teams:member_add", args=["research"]),
        {"add-username": "outsider"},
        # nobody in the table maintains research
        {
            "owner": DENIED,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": DENIED,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
]

GETS = [
    (
        "signoff-form",
        _rev("reviews:signoff"),
        {
            "owner": DENIED,
            "right_role": 200,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "status",
        _rev("reviews:status"),
        {
            "owner": 200,
            "right_role": 200,
            "wrong_role": 200,
            "other_team": GONE,
            "manager": 200,
            "anonymous": LOGIN,
        },
    ),
    (
        "advance-form",
        _slug("reviews:open_advance"),
        {
            "owner": 200,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "switchback-form",
        _slug("reviews:open_switchback"),
        {
            "owner": 200,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "new-project",
        lambda ui: reverse("reviews:project_new"),
        {who: 200 for who in PEOPLE} | {"anonymous": LOGIN},
    ),
    (
        "card-edit-form",
        lambda ui: reverse("projects:card_edit", args=["vision", "links"]),
        {
            "owner": 200,
            "right_role": DENIED,
            "wrong_role": DENIED,
            "other_team": GONE,
            "manager": DENIED,
            "anonymous": LOGIN,
        },
    ),
    (
        "ladder",
        _slug("projects:ladder"),
        {
            "owner": 200,
            "right_role": 200,
            "wrong_role": 200,
            "other_team": GONE,
            "manager": 200,
            "anonymous": LOGIN,
        },
    ),
    (
        "team-manage",
        lambda ui: reverse("teams:manage", args=["research"]),
        {who: DENIED for who in PEOPLE} | {"anonymous": LOGIN},
    ),
]


def _outcome(response, ui) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login") + "?next="):
            return LOGIN
        return DONE
    return response.status_code


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize(
    ("action", "address", "data", "expected"), ACTIONS, ids=[a[0] for a in ACTIONS]
)
def test_post_action_by_person(ui, login, who, action, address, data, expected):
    client = login(ui, who)
    events = AuditEvent.objects.count()
    response = client.post(address(ui), data)
    outcome = _outcome(response, ui)
    assert outcome == expected[who], (action, who, response.status_code, response.content[:500])
    if outcome == DONE:
        assert AuditEvent.objects.count() > events, "an action that succeeded is on the record"
    else:
        assert AuditEvent.objects.count() == events, "a refused action writes nothing"
    if outcome in (BAD, DENIED) and action != "team-add-member":
        # the service's own sentence on the page, in the error summary
        assert b"There is a problem" in response.content or outcome == DENIED


@pytest.mark.parametrize("who", list(PEOPLE))
@pytest.mark.parametrize(("page", "address", "expected"), GETS, ids=[g[0] for g in GETS])
def test_get_form_by_person(ui, login, who, page, address, expected):
    client = login(ui, who)
    response = client.get(address(ui))
    assert _outcome(response, ui) == expected[who], (page, who, response.status_code)
