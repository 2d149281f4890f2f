"""Query counts of list endpoints stay constant as rows grow (token auth included)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services as project_services
from reviews import services
from tests.api.conftest import token_client


def _grow(org, n: int, start: int) -> None:
    for i in range(start, start + n):
        project = project_services.project_create(
            team=org.teams["research"], slug=f"p{i}", name=f"P{i}", actor=org.researcher
        )
        project_services.project_update(
            project=project, components=[org.project], actor=org.researcher
        )
        services.request_open(project=project, actor=org.researcher, kind="advance", to_level=1)


def test_list_endpoints_query_counts_do_not_grow(org):
    client = token_client(org.researcher)
    paths = ["/api/v1/projects/", "/api/v1/requests/", "/api/v1/levels/"]
    client.get("/api/v1/levels/")  # first use of the token writes its last-used time
    _grow(org, 2, 0)
    small = {}
    for path in paths:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        small[path] = len(ctx.captured_queries)
    _grow(org, 8, 2)
    for path in paths:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200
        if not path.endswith("levels/"):
            assert response.json()["count"] >= 10
        assert len(ctx.captured_queries) == small[path], path
