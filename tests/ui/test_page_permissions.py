"""Every page x every kind of person, generated from one table.

A page on ``vision`` (or one of its requests) answers 200 to whoever may see the
project, 404 to everyone else (never 403: a refusal must not reveal that a
project exists), and sends anonymous visitors to the sign-in page. Pages that
show no project data (home, lists, teams, roles) answer 200 to anyone signed in;
what they list is checked in ``test_pages.py``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import PEOPLE

OK, GONE, LOGIN = 200, 404, "login"
EVERYONE_SIGNED_IN = {who: OK for who in PEOPLE} | {"anonymous": LOGIN}
SEES_VISION = {
    "owner": OK,
    "right_role": OK,
    "wrong_role": OK,  # a reviewing team's member sees the project, whatever the role
    "other_team": GONE,
    "manager": OK,
    "anonymous": LOGIN,
}
SEES_SECRET = {
    "owner": GONE,
    "right_role": GONE,
    "wrong_role": GONE,
    "other_team": OK,
    "manager": OK,
    "anonymous": LOGIN,
}

# (page, how to build its URL from the fixture, expected answer per person)
PAGES = [
    ("home", lambda ui: reverse("reviews:home"), EVERYONE_SIGNED_IN),
    ("projects", lambda ui: reverse("projects:list"), EVERYONE_SIGNED_IN),
    ("reviews", lambda ui: reverse("reviews:list"), EVERYONE_SIGNED_IN),
    ("teams", lambda ui: reverse("teams:list"), EVERYONE_SIGNED_IN),
    ("team", lambda ui: reverse("teams:detail", args=["research"]), EVERYONE_SIGNED_IN),
    ("roles", lambda ui: reverse("gates:roles"), EVERYONE_SIGNED_IN),
    ("password", lambda ui: reverse("password_change"), EVERYONE_SIGNED_IN),
    ("api-tokens", lambda ui: reverse("tokens:list"), EVERYONE_SIGNED_IN),
    ("project", lambda ui: reverse("projects:detail", args=["vision"]), SEES_VISION),
    ("secret", lambda ui: reverse("projects:detail", args=["secret"]), SEES_SECRET),
    ("card", lambda ui: reverse("projects:card", args=["vision"]), SEES_VISION),
    ("card-v1", lambda ui: reverse("projects:card_version", args=["vision", 1]), SEES_VISION),
    (
        "card-compare",
        lambda ui: reverse("projects:card_compare", args=["vision"]) + "?from=1&to=2",
        SEES_VISION,
    ),
    ("card-md", lambda ui: reverse("projects:card_export_md", args=["vision"]), SEES_VISION),
    ("card-json", lambda ui: reverse("projects:card_export_json", args=["vision"]), SEES_VISION),
    (
        "secret-card-md",
        lambda ui: reverse("projects:card_export_md", args=["secret"]),
        SEES_SECRET,
    ),
    ("review", lambda ui: reverse("reviews:detail", args=[ui.request.pk]), SEES_VISION),
    ("checks", lambda ui: reverse("reviews:checks", args=[ui.request.pk]), SEES_VISION),
    (
        "project-requests",
        lambda ui: reverse("reviews:project_requests", args=["vision"]),
        SEES_VISION,
    ),
    (
        "project-repository",
        lambda ui: reverse("gates:project_repository", args=["vision"]),
        SEES_VISION,
    ),
]


def _answer(client, address: str):
    response = client.get(address)
    if response.status_code == 302 and response["Location"].startswith(reverse("login") + "?next="):
        return LOGIN, response
    return response.status_code, response


@pytest.mark.parametrize(("page", "url", "expected"), [pytest.param(*p, id=p[0]) for p in PAGES])
def test_page_answers(ui, login, page, url, expected):
    """One page, every person of the table (one world built per page keeps this fast)."""
    wrong = []
    for who in PEOPLE:
        got, response = _answer(login(ui, who), url(ui))
        if got != expected[who]:
            wrong.append(f"{who}: expected {expected[who]}, got {got}")
        elif got == GONE:
            body = response.content.decode()
            assert "Page not found" in body  # the app's own 404 page
            assert "Vision model" not in body and "Secret model" not in body
    assert not wrong, f"{page}: " + "; ".join(wrong)


def test_htmx_fragments_follow_the_same_table(ui, login):
    """The fragments the project page loads obey the page's rule when asked by htmx."""
    for who, name, args in [
        (who, *fragment)
        for who in PEOPLE
        if who != "anonymous"
        for fragment in [
            ("reviews:checks", [ui.request.pk]),
            ("reviews:project_requests", ["vision"]),
            ("gates:project_repository", ["vision"]),
        ]
    ]:
        client = login(ui, who)
        response = client.get(reverse(name, args=args), headers={"HX-Request": "true"})
        assert response.status_code in ((200, 286) if SEES_VISION[who] == OK else (404,)), name
        if SEES_VISION[who] == OK:
            assert b"<html" not in response.content  # a fragment, not a page


def test_unknown_objects_are_404_even_for_the_owner(ui, login):
    client = login(ui, "owner")
    for url in [
        reverse("projects:detail", args=["no-such-project"]),
        reverse("reviews:detail", args=[999_999]),
        reverse("projects:card_version", args=["vision", 99]),
        reverse("projects:card_export_md", args=["vision"]) + "?version=99",
        reverse("teams:detail", args=["no-such-team"]),
    ]:
        assert client.get(url).status_code == 404, url


def test_pages_refuse_post(ui, login):
    """The read side takes no POST: 405, never a 500 or a silent write."""
    client = login(ui, "owner")
    for url in [
        reverse("reviews:home"),
        reverse("projects:detail", args=["vision"]),
        reverse("reviews:detail", args=[ui.request.pk]),
    ]:
        assert client.post(url).status_code == 405, url
