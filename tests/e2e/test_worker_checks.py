"""Check runs through a real Celery worker process, real Redis and real PostgreSQL.

These are the integration tests of issue 3: opening a request queues a run on
commit, a separate worker process fetches the repository and posts results
that the request's gate then uses; a worker killed with SIGKILL in the middle
of a run has it redelivered, and the run ends once with one set of results.
"""

from __future__ import annotations

import os
import signal

import pytest

from gates.checks.base import repository_checks
from gates.models import CheckResult, CheckRun, CheckRunStatus
from projects.services import project_update
from reviews import services
from reviews.models import LevelChangeRequest
from tests.gitrepo import commit, make_repo
from tests.gitserver import GitDaemon, allow_loopback
from tests.org import admin_actor, build_org

from .worker import celery_worker, wait_for

# Generous: the worker shares two cores with everything else on a CI machine.
END = 300

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

GOOD_REPO = {
    "README.md": "# Vision\n\n## Purpose\n\nFind defects in product photos before shipping.\n",
    "src/model.py": "def predict(x):\n    return x\n",
}


@pytest.fixture
def repo_root(tmp_path, settings):
    root = tmp_path / "repos"
    root.mkdir()
    allow_loopback(settings, mirrors=tmp_path / "mirrors")
    return root


@pytest.fixture
def daemon(repo_root):
    """The repositories under ``repo_root`` served by a real ``git daemon`` on loopback."""
    with GitDaemon(repo_root) as server:
        yield server


def _linked_project(url: str):
    org = build_org()
    project = project_update(project=org.project, repository_url=url, actor=admin_actor())
    project.card.tldr = "Find defects in product photos."
    project.card.save()
    return org, project


def test_request_open_runs_checks_in_worker_and_gate_uses_them(repo_root, daemon, tmp_path):
    repo = make_repo(repo_root, GOOD_REPO)
    head = commit(repo, {"NOTES.md": "second commit\n"}, "notes")
    org, project = _linked_project(daemon.url(repo.name))
    with celery_worker({}, log_path=tmp_path / "worker.log"):
        request = services.request_open(
            project=project, actor=org.researcher, kind="advance", to_level=1
        )
        run = wait_for(
            lambda: CheckRun.objects.filter(project=project, status="succeeded").first(),
            timeout=END,
            what="the check run to succeed",
        )
        request.refresh_from_db()
        assert request.commit_sha == head  # the worker resolved and pinned the branch head
        assert run.commit_sha == head
        keys = {c.key for c in repository_checks()}
        assert set(run.results.values_list("check_key", flat=True)) == keys
        assert run.progress_done == run.progress_total == len(keys)
        services.signoff_record(level_request=request, actor=org.lead, decision="approve")
        from reviews.selectors import request_verdict

        print(
            request_verdict(request),
            list(run.results.values_list("check_key", "outcome", "message")),
        )
    request = LevelChangeRequest.objects.get(pk=request.pk)
    project.refresh_from_db()
    assert request.state == "approved"
    assert project.level == 1
    assert project.evidence_level is not None and project.evidence_level >= 1


def test_worker_killed_mid_run_is_redelivered_and_ends_once(repo_root, daemon, tmp_path):
    # Enough files that the run takes a moment, so it can be killed in the middle.
    files = {f"pkg/module_{n}.py": f"VALUE = {n}\n" * 50 for n in range(3000)}
    repo = make_repo(repo_root, {**GOOD_REPO, **files}, bare=True)
    org, project = _linked_project(daemon.url(repo.name))
    env = {"MLTRL_RUN_HEARTBEAT_S": "1", "MLTRL_RUN_HEARTBEAT_TIMEOUT_S": "30"}
    with celery_worker(env, log_path=tmp_path / "worker.log") as worker:
        services.request_open(project=project, actor=org.researcher, kind="advance", to_level=1)
        running = wait_for(
            lambda: (
                CheckRun.objects.filter(project=project, status="running")
                .exclude(claimed_by="")
                .first()
            ),
            timeout=END,
            interval=0.01,
            what="the run to be claimed",
        )
        child_pid = int(running.claimed_by.rpartition(":")[2])
        assert child_pid != worker.pid  # the pool process, not the supervisor
        os.kill(child_pid, signal.SIGKILL)
        run = wait_for(
            lambda: CheckRun.objects.filter(
                pk=running.pk, status__in=["succeeded", "failed"]
            ).first(),
            timeout=END,
            what="the redelivered run to end",
        )
        assert worker.poll() is None, "the worker supervisor survived"
    assert run.status == CheckRunStatus.SUCCEEDED, run.message
    assert run.attempts == 2
    keys = [c.key for c in repository_checks()]
    results = CheckResult.objects.filter(run=run)
    assert results.count() == len(keys)
    assert sorted(results.values_list("check_key", flat=True)) == sorted(keys)
    assert CheckRun.objects.filter(project=project).exclude(status="cancelled").count() == 1
