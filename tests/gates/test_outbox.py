"""The outbox: the run row is the truth, a lost message is sent again.

Broker errors after commit never reach the caller; the dispatcher re-sends
the message of a run still queued past ``MLTRL_RUN_RESEND_AFTER_S``; asking
again for a commit whose run waits too long sends its message again. Celery
runs eagerly here, so "sending" a message executes the run in process; the
tests with a real broker, worker and beat are in tests/e2e/test_faults.py.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from gates.checks.base import repository_checks
from gates.models import CheckResult, CheckRun
from gates.run_outbox import CHECK_RUNS_OUTBOX
from gates.runs import check_run_request
from mltrl_site import outbox
from projects.actors import system_actor
from projects.services import project_update
from tests.brokers import broker_at
from tests.gitrepo import make_repo
from tests.gitserver import allow_loopback, closed_port
from tests.org import admin_actor

README = "# Vision\n\n## Purpose\n\nSpot cracked welds in pipeline inspection photos.\n"


@pytest.fixture
def project(org, settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    settings.MLTRL_RUN_RESEND_AFTER_S = 300
    repo = make_repo(tmp_path / "repos", {"README.md": README})
    return project_update(actor=admin_actor(), project=org.project, repository_url=f"file://{repo}")


def _lost(project, capture, **kwargs) -> CheckRun:
    """Queue a run whose message never reaches a worker (the on_commit work is dropped)."""
    with capture(execute=False):
        run = check_run_request(
            actor=system_actor("worker"), project=project, trigger="manual", **kwargs
        )
    return CheckRun.objects.get(pk=run.pk)


def _age(run: CheckRun, seconds: int) -> None:
    CheckRun.objects.filter(pk=run.pk).update(
        enqueued_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_the_check_runs_kind_is_registered():
    assert CHECK_RUNS_OUTBOX in outbox.outbox_kinds()


def test_broker_down_after_commit_is_logged_not_raised(
    project, django_capture_on_commit_callbacks, caplog
):
    down = f"redis://127.0.0.1:{closed_port()}/0"
    with (
        broker_at(down),
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = check_run_request(actor=system_actor("worker"), project=project, trigger="manual")
    run.refresh_from_db()
    assert (run.status, run.enqueued_at is not None) == ("queued", True)
    assert f"could not send the message for check run {run.pk}" in caplog.text


def test_dispatcher_resends_only_runs_waiting_past_the_age(
    project, django_capture_on_commit_callbacks
):
    stale = _lost(project, django_capture_on_commit_callbacks)
    _age(stale, 301)
    assert outbox.outbox_dispatch()["check_runs"] == 1  # eager: the run executes now
    stale.refresh_from_db()
    assert stale.status == "succeeded"
    fresh = _lost(project, django_capture_on_commit_callbacks, commit_sha=stale.commit_sha)
    assert fresh.pk == stale.pk  # finished: nothing queued, nothing to send
    assert outbox.outbox_dispatch()["check_runs"] == 0


def test_a_fresh_queued_run_is_left_alone(project, django_capture_on_commit_callbacks):
    run = _lost(project, django_capture_on_commit_callbacks)
    _age(run, 299)
    assert outbox.outbox_dispatch()["check_runs"] == 0
    assert CheckRun.objects.get(pk=run.pk).status == "queued"


def test_resending_twice_ends_the_run_once(project, django_capture_on_commit_callbacks):
    run = _lost(project, django_capture_on_commit_callbacks)
    _age(run, 1000)
    assert outbox.outbox_dispatch()["check_runs"] == 1
    _age(run, 1000)
    CheckRun.objects.filter(pk=run.pk).update(status="queued")  # as if the row lagged
    outbox.outbox_dispatch()
    run.refresh_from_db()
    keys = sorted(c.key for c in repository_checks())
    assert run.status == "succeeded"
    assert sorted(CheckResult.objects.filter(run=run).values_list("check_key", flat=True)) == keys


def test_asking_again_for_a_stale_queued_commit_sends_it_again(
    project, django_capture_on_commit_callbacks
):
    sha = _resolve_head(project)
    first = _lost(project, django_capture_on_commit_callbacks, commit_sha=sha)
    _age(first, 301)
    with django_capture_on_commit_callbacks(execute=True):
        again = check_run_request(
            actor=system_actor("worker"), project=project, trigger="rerun", commit_sha=sha
        )
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.status == "succeeded"


def test_asking_again_for_a_fresh_queued_commit_sends_nothing(
    project, django_capture_on_commit_callbacks
):
    sha = _resolve_head(project)
    first = _lost(project, django_capture_on_commit_callbacks, commit_sha=sha)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        again = check_run_request(
            actor=system_actor("worker"), project=project, trigger="rerun", commit_sha=sha
        )
    assert again.pk == first.pk
    assert sent == []


def test_one_failing_kind_does_not_stop_the_others(project, django_capture_on_commit_callbacks):
    def broken(cutoff):
        raise RuntimeError("query failed")

    outbox.outbox_register(outbox.OutboxKind("broken", lambda: 1, broken, lambda row_id: True))
    try:
        run = _lost(project, django_capture_on_commit_callbacks)
        _age(run, 301)
        counts = outbox.outbox_dispatch()
        # other apps' kinds (notifications) pass too; these two are the point here
        assert {k: counts[k] for k in ("check_runs", "broken")} == {"check_runs": 1, "broken": 0}
    finally:
        outbox._KINDS.pop("broken")
    assert CheckRun.objects.get(pk=run.pk).status == "succeeded"


def _resolve_head(project) -> str:
    from gates.git import Mirror

    return Mirror(f"resolve-{project.pk}", project.repository_url).fetch("main")
