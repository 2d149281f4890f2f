"""Projects, cards, audit and teams over the API: behaviour and bad input (400, never 500)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.conftest import session_client, token_client


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        (
            "post",
            "/api/v1/projects/",
            {"slug": "Not a slug!", "name": "x", "team": "research"},
            "slug",
        ),
        ("post", "/api/v1/projects/", {"slug": "ok", "name": "x", "team": "nope"}, "team"),
        ("post", "/api/v1/projects/", {"slug": "vision", "name": "x", "team": "research"}, "slug"),
        ("post", "/api/v1/projects/", {"slug": "new", "name": "x", "team": "research"}, "slug"),
        # a Django slug, but not lowercase letters, digits and hyphens (the service refuses)
        ("post", "/api/v1/projects/", {"slug": "Yy_Z", "name": "x", "team": "research"}, "slug"),
        (
            "post",
            "/api/v1/projects/",
            {"slug": "ok", "name": "x", "team": "research", "repository_url": "ftp://x/y"},
            "repository_url",
        ),
        ("patch", "/api/v1/projects/vision/", {"components": ["nope"]}, "components"),
        ("patch", "/api/v1/projects/vision/", {"reviewer_teams": ["nope"]}, "reviewer_teams"),
        ("patch", "/api/v1/projects/vision/card/", {"tldr": "x" * 20_001}, "tldr"),
        (
            "post",
            "/api/v1/requests/",
            {"project": "vision", "kind": "advance", "to_level": 42},
            "to_level",
        ),
        (
            "post",
            "/api/v1/requests/",
            {"project": "vision", "kind": "advance", "to_level": 1, "commit": "nothex"},
            "commit",
        ),
        ("post", "/api/v1/requests/1/signoffs/", {"decision": "maybe"}, "decision"),
    ],
)
def test_bad_input_on_writes_is_400_with_field_errors(org, method, path, body, field):
    response = getattr(session_client(org.researcher), method)(path, body, format="json")
    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert field in fields or any(field in m for m in fields.get("non_field_errors", [])), fields


def test_create_update_and_components_through_the_api(org):
    client = session_client(org.researcher)
    created = client.post(
        "/api/v1/projects/",
        {"slug": "ranker", "name": "Ranker", "team": "research", "reviewer_teams": ["product"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["team"] == "research"
    patched = client.patch("/api/v1/projects/ranker/", {"components": ["vision"]}, format="json")
    assert patched.status_code == 200
    assert patched.json()["components"] == ["vision"]
    assert patched.json()["system_level"] == 0


def test_card_update_versions_diff_export_audit_and_level_at(org):
    client = session_client(org.researcher)
    patched = client.patch("/api/v1/projects/vision/card/", {"tldr": "Finds defects."})
    assert patched.status_code == 200
    assert "Finds defects." in str(patched.json())
    card = token_client(org.lead).get("/api/v1/projects/vision/card/").json()
    assert "Finds defects." in str(card)
    versions = client.get("/api/v1/projects/vision/card/versions/").json()
    assert [v["number"] for v in versions] == [1]
    assert client.get("/api/v1/projects/vision/card/diff/?from=1&to=1").json() == []
    assert client.get("/api/v1/projects/vision/card/diff/?from=1&to=9").status_code == 404
    assert client.get("/api/v1/projects/vision/card/diff/?from=x&to=1").status_code == 400
    markdown = client.get("/api/v1/projects/vision/card/export/")
    assert markdown["Content-Type"].startswith("text/markdown")
    assert "Finds defects." in markdown.content.decode()
    assert client.get("/api/v1/projects/vision/card/export/?as=pdf").status_code == 400
    audit = client.get("/api/v1/projects/vision/audit/").json()
    kinds = [e["kind"] for e in audit["results"]]
    assert kinds[0] == "project.created" and "card.updated" in kinds
    at = client.get("/api/v1/projects/vision/level-at/?at=2030-01-01T00:00:00Z").json()
    assert at["level"] == 0
    before = client.get("/api/v1/projects/vision/level-at/?at=2000-01-01T00:00:00Z").json()
    assert before["level"] is None
    assert client.get("/api/v1/projects/vision/level-at/?at=yesterday").status_code == 400


def test_teams_list_members_and_role_grants(org):
    teams = token_client(org.outsider).get("/api/v1/teams/").json()["results"]
    research = next(t for t in teams if t["slug"] == "research")
    assert "lead" in research["members"]
    assert {"user": "lead", "role": "research-lead"} in research["role_grants"]


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/api/v1/projects/vision/", {"slug": "zzz", "team": "product"}, {"slug", "team"}),
        ("/api/v1/projects/vision/", {"name": "Renamed", "nmae": "typo"}, {"nmae"}),
        ("/api/v1/projects/vision/card/", {"bogus": "x"}, {"bogus"}),
    ],
)
def test_writes_refuse_unknown_and_read_only_fields_by_name(org, path, body, fields):
    """A field the endpoint does not take is a 400 naming it, and nothing changes."""
    response = session_client(org.researcher).patch(path, body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["fields"]) == fields
    assert "unknown or read-only" in response.json()["message"]
    project = token_client(org.researcher).get("/api/v1/projects/vision/").json()
    assert (project["slug"], project["team"], project["name"]) == (
        "vision",
        "research",
        "Vision model",
    )


def test_form_bodies_refuse_empty_values_and_non_boolean_words(org):
    """In a form, an empty optional value is refused like JSON's "" (DRF read it as
    "not sent"), and a boolean is true or false, not 0 or "yes"."""
    client = token_client(org.researcher)
    made = client.post(
        "/api/v1/webhooks/",
        {"url": "https://8.8.8.8/h", "events": ["level.changed"], "project": "vision"},
        format="json",
    ).json()
    item = f"/api/v1/webhooks/{made['id']}/"
    assert client.patch(item, {"url": ""}, format="multipart").json()["fields"] == {
        "url": ["This field may not be blank."]
    }
    for word in ("0", "yes"):
        refused = client.patch(item, {"active": word}, format="multipart")
        assert refused.json()["fields"] == {
            "active": ["Must be a valid boolean: true or false."]
        }, word
    assert client.patch(item, {"active": 0}, format="json").status_code == 400
    assert client.patch(item, {"active": "false"}, format="multipart").json()["active"] is False


@pytest.mark.parametrize(
    ("at", "code"),
    [
        ("5000-02-03T22:29:42.285622+16:52", 200),  # PostgreSQL refused the offset: a 500
        ("0001-01-01T00:00:00+10:00", 400),  # before year 1 in UTC: an OverflowError
        ("9999-12-31T23:59:59-16:00", 400),
    ],
)
def test_level_at_takes_any_offset_and_refuses_times_out_of_range(org, at, code):
    response = token_client(org.researcher).get(f"/api/v1/projects/vision/level-at/?at={quote(at)}")
    assert response.status_code == code, response.content[:300]
    if code == 200:
        assert response.json()["level"] == 0
    else:
        assert list(response.json()["fields"]) == ["at"]
