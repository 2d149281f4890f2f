"""GET /api/v1/requests/<id>/checks/: the status API of a request's check run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gates.engine import check_run_execute
from gates.models import CheckResult, CheckRun
from projects.services import project_update
from reviews import services
from tests.gitrepo import make_repo
from tests.org import admin_actor

README = "# Vision\n\n## Purpose\n\nFind defects in product photos before they ship.\n"


@pytest.fixture
def linked(org, tmp_path, settings, django_capture_on_commit_callbacks):
    """The org's project linked to a real repository, with a request whose run finished."""
    settings.MLTRL_GIT_FILE_ROOT = str(tmp_path)
    settings.MLTRL_GIT_MIRROR_DIR = str(tmp_path / "mirrors")
    repo = make_repo(tmp_path / "repos", {"README.md": README})
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    project.card.tldr = "Find defects in product photos."
    project.card.save()
    with django_capture_on_commit_callbacks(execute=False):
        request = services.request_open(
            project=project, actor=org.researcher, kind="advance", to_level=1
        )
    return org, request


def _url(request) -> str:
    return reverse("api-request-checks", kwargs={"pk": request.pk})


def test_queued_run_reports_waiting(client, linked):
    org, request = linked
    client.force_login(org.lead)
    body = client.get(_url(request)).json()
    assert body["run"]["status"] == "queued"
    assert body["progress"] == "Waiting for a worker."
    assert body["results"] == []
    assert body["approved"] is False
    assert "Needs 1 more approval from research-lead." in body["missing"]


def test_finished_run_lists_results_and_verdict(client, linked, django_capture_on_commit_callbacks):
    org, request = linked
    run = CheckRun.objects.get(request_id=request.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert check_run_execute(run.pk) == "done"
    client.force_login(org.researcher)
    body = client.get(_url(request)).json()
    run.refresh_from_db()
    assert body["run"]["status"] == "succeeded"
    assert body["commit_sha"] == run.commit_sha  # the request was pinned to the head
    assert body["run"]["progress_done"] == body["run"]["progress_total"] > 0
    readme = next(r for r in body["results"] if r["check_key"] == "readme_purpose")
    assert readme == {**readme, "required": True, "outcome": "pass"}
    assert not any(r["required"] for r in body["results"] if r["check_key"] != "readme_purpose")
    assert body["missing"] == ["Needs 1 more approval from research-lead."]


def test_outsider_gets_404_and_anonymous_is_refused(client, linked):
    org, request = linked
    client.force_login(org.outsider)
    response = client.get(_url(request))
    assert response.status_code == 404
    client.logout()
    assert client.get(_url(request)).status_code == 401


def test_unknown_request_is_404_with_json_body(client, org):
    client.force_login(org.lead)
    response = client.get(reverse("api-request-checks", kwargs={"pk": 999_999}))
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No LevelChangeRequest matches the given query.",
    }


def test_query_count_does_not_grow_with_results(
    client, linked, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    org, request = linked
    client.force_login(org.lead)
    run = CheckRun.objects.get(request_id=request.pk)
    with django_capture_on_commit_callbacks(execute=True):
        check_run_execute(run.pk)
    with django_assert_max_num_queries(40) as before:
        client.get(_url(request))
    CheckResult.objects.bulk_create(
        CheckResult(run=run, check_key=f"extra_{n}", outcome="pass", message="ok")
        for n in range(50)
    )
    with django_assert_max_num_queries(40) as after:
        body = client.get(_url(request)).json()
    assert len(body["results"]) == run.progress_total + 50
    # session, user, the request through the permission entry point, the run,
    # its results, and the gate facts: the same queries for 20 or 70 results.
    assert len(after.captured_queries) == len(before.captured_queries)
