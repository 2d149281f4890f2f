"""Query counts of every list endpoint (and the details that list children) stay
constant as rows grow; token authentication included.

``_grow`` adds rows of every kind each list shows; each path is counted after a
small and after a larger growth, and the counts must be equal.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gates.models import CheckResult, CheckRun
from gates.policy_documents import policy_import
from projects import services as project_services
from projects.cards import card_snapshot
from projects.models import Project
from reviews import services
from reviews.waivers import waiver_grant
from tests.api.conftest import token_client
from tests.org import SHA_A, admin_actor, make_user


def _grow(org, n: int, start: int) -> None:
    """``n`` more of everything: projects (with a component and a request), teams with
    members and role grants, vision's audit events, card versions, check runs with
    results, waivers, policy versions."""
    admin = admin_actor()
    for i in range(start, start + n):
        project = project_services.project_create(
            team=org.teams["research"], slug=f"p{i}", name=f"P{i}", actor=org.researcher
        )
        project_services.project_update(
            project=project, components=[org.project], actor=org.researcher
        )
        services.request_open(project=project, actor=org.researcher, kind="advance", to_level=1)
        team = project_services.team_create(slug=f"t{i}", name=f"T{i}", actor=admin)
        member = make_user(f"member{i}")
        project_services.membership_add(team=team, user=member, actor=admin)
        project_services.role_grant(team=team, user=member, role=org.role("product"), actor=admin)
        project_services.project_update(
            project=org.project, description=f"Version {i}.", actor=org.researcher
        )
        with transaction.atomic():
            card_snapshot(
                project=Project.objects.select_for_update().get(pk=org.project.pk),
                reason=f"snapshot {i}",
                actor=org.researcher,
            )
        run = CheckRun.objects.create(
            project=org.project, commit_sha=f"{i:040x}", request_id=org.request.pk
        )
        for key in ("readme_purpose", "tests_present", "license"):
            CheckResult.objects.create(run=run, check_key=key, outcome="pass", message="Ok.")
        CheckResult.objects.create(
            run=org.run, check_key=f"check_{i}", outcome="fail", message="No."
        )
        waiver_grant(
            project=org.project,
            check_key="readme_purpose",
            actor=org.lead,
            reason=f"Waiver {i}.",
            expires_at=timezone.now() + timedelta(days=30),
        )
        document = json.loads(
            token_client(org.researcher).get("/api/v1/policies/0-1/export/?as=json").content
        )
        policy_import(key="0-1", document={**document, "title": f"Gate {i}"}, actor=admin)


FIXED_SIZE = {"/api/v1/levels/", "/api/v1/policies/", "/api/v1/portfolio/"}


def test_list_endpoints_query_counts_do_not_grow(org):
    org.request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    org.run = CheckRun.objects.create(
        project=org.project, commit_sha=SHA_A, request_id=org.request.pk
    )
    client = token_client(org.researcher)
    paths = [
        "/api/v1/levels/",
        "/api/v1/projects/",
        "/api/v1/requests/",
        f"/api/v1/requests/{org.request.pk}/",
        "/api/v1/teams/",
        "/api/v1/projects/vision/audit/",
        "/api/v1/projects/vision/card/versions/",
        "/api/v1/policies/",
        "/api/v1/runs/",
        f"/api/v1/runs/{org.run.pk}/",
        "/api/v1/waivers/",
        "/api/v1/portfolio/",
    ]
    client.get("/api/v1/levels/")  # first use of the token writes its last-used time
    _grow(org, 2, 0)
    small, sizes = {}, {}
    for path in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
            assert response.status_code == 200, (path, response.content)
        small[path], sizes[path] = len(ctx.captured_queries), len(response.content)
    _grow(org, 6, 2)
    for path in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        # The level catalog is fixed; the policy list shows each policy's newest version;
        # the portfolio is counts.
        assert len(response.content) > sizes[path] or path in FIXED_SIZE, path
        assert len(ctx.captured_queries) == small[path], path
