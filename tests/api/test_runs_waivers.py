"""Check runs, waivers and the portfolio over the API: filters, detail, visibility.

Who may call what is in test_permission_table.py; here, what the answers hold.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import CheckResult, CheckRun
from reviews import services
from reviews.models import Waiver
from reviews.waivers import waiver_grant, waiver_revoke
from tests.api.conftest import session_client, token_client
from tests.org import SHA_A, SHA_B


@pytest.fixture
def runs(org, other_project):
    opened = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    done = CheckRun.objects.create(
        project=org.project, commit_sha=SHA_A, request_id=opened.pk, status="succeeded"
    )
    CheckResult.objects.create(run=done, check_key="tests_present", outcome="fail", message="No.")
    CheckResult.objects.create(run=done, check_key="readme_purpose", outcome="pass", message="Ok.")
    queued = CheckRun.objects.create(project=org.project, commit_sha=SHA_B, status="queued")
    hidden = CheckRun.objects.create(project=other_project, commit_sha=SHA_A, status="queued")
    return {"request": opened, "done": done, "queued": queued, "hidden": hidden}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_runs_list_filters_by_project_request_status_and_commit(org, runs):
    client = token_client(org.researcher, scopes=("read",))
    done, queued = runs["done"].pk, runs["queued"].pk
    assert _ids(client.get("/api/v1/runs/")) == [queued, done]  # newest first; speech hidden
    assert _ids(client.get("/api/v1/runs/?project=vision&ordering=id")) == [done, queued]
    assert _ids(client.get(f"/api/v1/runs/?request={runs['request'].pk}")) == [done]
    assert _ids(client.get("/api/v1/runs/?status=queued")) == [queued]
    assert _ids(client.get("/api/v1/runs/?status=queued&status=succeeded")) == [queued, done]
    assert _ids(client.get(f"/api/v1/runs/?commit={SHA_B.upper()}")) == [queued]
    assert _ids(client.get("/api/v1/runs/?project=speech")) == []
    page = client.get("/api/v1/runs/?page_size=1&page=2").json()
    assert page["count"] == 2 and [r["id"] for r in page["results"]] == [done]
    for bad in ("status=lost", "request=x", "page_size=0"):
        assert client.get(f"/api/v1/runs/?{bad}").status_code == 400, bad


def test_run_detail_has_its_results_and_hides_other_teams_runs(org, runs):
    client = token_client(org.researcher, scopes=("read",))
    body = client.get(f"/api/v1/runs/{runs['done'].pk}/").json()
    assert (body["project"], body["request"], body["status"]) == (
        "vision",
        runs["request"].pk,
        "succeeded",
    )
    assert body["url"] == f"/api/v1/runs/{runs['done'].pk}/"
    assert [(r["check_key"], r["outcome"]) for r in body["results"]] == [
        ("readme_purpose", "pass"),
        ("tests_present", "fail"),
    ]
    assert client.get(f"/api/v1/runs/{runs['hidden'].pk}/").status_code == 404
    other = session_client(org.users["audio-dev"])
    assert other.get(f"/api/v1/runs/{runs['hidden'].pk}/").status_code == 200
    assert other.get(f"/api/v1/runs/{runs['done'].pk}/").status_code == 404


@pytest.fixture
def waivers(org):
    opened = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )

    def grant() -> Waiver:
        return waiver_grant(
            project=org.project,
            check_key="readme_purpose",  # the one check the 0-1 gate requires
            actor=org.lead,
            reason="Covered elsewhere.",
            expires_at=timezone.now() + timedelta(days=30),
        )

    in_force, expired, revoked = grant(), grant(), grant()
    Waiver.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    waiver_revoke(waiver=revoked, actor=org.lead)
    return {"request": opened, "in_force": in_force, "expired": expired, "revoked": revoked}


def test_waivers_list_with_state_and_filters(org, waivers):
    client = token_client(org.researcher, scopes=("read",))
    rows = {r["id"]: r for r in client.get("/api/v1/waivers/").json()["results"]}
    assert {
        state: rows[waivers[state].pk]["state"] for state in ("in_force", "expired", "revoked")
    } == {
        "in_force": "in_force",
        "expired": "expired",
        "revoked": "revoked",
    }
    revoked, in_force = rows[waivers["revoked"].pk], rows[waivers["in_force"].pk]
    assert revoked["revoked_by"] == "lead" and in_force["revoked_by"] is None
    assert in_force["request"] == waivers["request"].pk and in_force["project"] == "vision"
    assert (in_force["granted_by"], in_force["role"]) == ("lead", "research-lead")
    for state in ("in_force", "expired", "revoked"):
        assert _ids(client.get(f"/api/v1/waivers/?state={state}")) == [waivers[state].pk]
    assert len(_ids(client.get(f"/api/v1/waivers/?request={waivers['request'].pk}"))) == 3
    assert len(_ids(client.get("/api/v1/waivers/?check=readme_purpose&project=vision"))) == 3
    assert _ids(client.get("/api/v1/waivers/?check=license")) == []
    assert _ids(client.get("/api/v1/waivers/?project=nlp")) == []
    assert client.get("/api/v1/waivers/?state=maybe").status_code == 400


def test_waivers_are_readable_by_reviewers_not_by_other_teams(org, waivers, other_project):
    assert len(_ids(session_client(org.eng).get("/api/v1/waivers/"))) == 3
    assert _ids(session_client(org.users["audio-dev"]).get("/api/v1/waivers/")) == []


def test_portfolio_counts_only_a_restricted_tokens_projects(org, second_project):
    def research_total(client) -> int:
        table = client.get("/api/v1/portfolio/levels/").json()
        return next(r["total"] for r in table["rows"] if r["team"] == "Research")

    assert research_total(token_client(org.researcher)) == 2  # vision and nlp
    assert research_total(token_client(org.researcher, projects=[second_project])) == 1
