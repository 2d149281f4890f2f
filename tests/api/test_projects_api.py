"""Projects, cards, audit and teams over the API: behaviour and bad input (400, never 500)."""

from __future__ import annotations

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
