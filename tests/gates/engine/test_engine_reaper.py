"""Runs whose worker died: taken over by the next worker, given up after too many
starts, put back in the queue by the reaper and failed after the last attempt; each
end is reported once (``checks.finished``)."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from gates.engine import check_run_execute, check_runs_reap
from gates.models import CheckResult, CheckRun
from projects.models import AuditEvent

from .steps import keys, queue


def _held(run: CheckRun, claimed_by: str, heartbeat_age_s: float) -> CheckRun:
    CheckRun.objects.filter(pk=run.pk).update(
        status="running",
        claimed_by=claimed_by,
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(seconds=heartbeat_age_s),
    )
    return run


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    ("holder", "age_s", "taken_over"),
    [
        ("live-local", 0, False),
        ("other-host", 0, False),
        ("dead-local", 0, True),
        ("other-host", 3600, True),
        ("live-local", 3600, True),
    ],
)
def test_run_held_by_a_live_worker_is_left_alone_a_dead_one_is_taken_over(
    project, holder, age_s, taken_over
):
    claimed_by = {
        "live-local": f"{socket.gethostname()}:{os.getpid()}",
        "other-host": "worker-elsewhere.example:4242",
        "dead-local": f"{socket.gethostname()}:{_dead_pid()}",
    }[holder]
    run = _held(queue(project), claimed_by, age_s)
    first_key = keys()[0]
    CheckResult.objects.create(run=run, check_key=first_key, outcome="error", message="partial")
    outcome = check_run_execute(run.pk, worker="new-worker:1")
    run.refresh_from_db()
    if not taken_over:
        assert outcome == "busy"
        assert (run.status, run.claimed_by, run.attempts) == ("running", claimed_by, 1)
        return
    assert outcome == "done"
    assert (run.status, run.claimed_by, run.attempts) == ("succeeded", "new-worker:1", 2)
    assert run.results.count() == len(keys())  # the partial result was replaced, not doubled
    assert run.results.get(check_key=first_key).message != "partial"


def test_run_started_too_often_is_given_up(project, settings):
    settings.MLTRL_RUN_MAX_ATTEMPTS = 3
    run = queue(project)
    CheckRun.objects.filter(pk=run.pk).update(attempts=3)
    assert check_run_execute(run.pk) == "skipped"
    run.refresh_from_db()
    assert (run.status, run.error_kind) == ("failed", "gave_up")
    assert "started 3 times" in run.message and "given up" in run.message
    assert not run.results.exists()
    assert _finished_events(run) == [("failed", "gave_up")]  # reported, once
    assert check_run_execute(run.pk) == "skipped"
    assert _finished_events(run) == [("failed", "gave_up")]


def test_reaper_requeues_a_stale_run_then_fails_it_after_max_attempts(project, settings, capture):
    settings.MLTRL_RUN_MAX_ATTEMPTS = 2
    live = _held(queue(project), "worker-elsewhere.example:1", 0)
    assert check_runs_reap() == 0
    live.refresh_from_db()
    assert live.status == "running"
    stale = _held(live, "worker-elsewhere.example:1", 3600)
    with capture() as enqueued:
        assert check_runs_reap() == 1
    stale.refresh_from_db()
    assert (stale.status, stale.claimed_by) == ("queued", "")
    assert "queued again" in stale.message
    assert len(enqueued) == 1
    CheckRun.objects.filter(pk=stale.pk).update(
        status="running",
        claimed_by="worker-elsewhere.example:1",
        attempts=2,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    assert check_runs_reap() == 1
    stale.refresh_from_db()
    assert (stale.status, stale.error_kind) == ("failed", "worker_lost")
    assert stale.finished_at is not None
    assert _finished_events(stale) == [("failed", "worker_lost")]


def _finished_events(run) -> list[tuple[str, str]]:
    """The ``checks.finished`` events recorded for ``run`` (status, error kind)."""
    return [
        (event.payload["status"], event.payload["error_kind"])
        for event in AuditEvent.objects.filter(kind="checks.finished", project_id=run.project_id)
        if event.payload["run"] == run.pk
    ]


def test_reaped_run_is_delivered_again_and_finishes(project, capture):
    run = _held(queue(project), "worker-elsewhere.example:1", 3600)
    with capture(execute=True):  # the reaper enqueues; Celery runs eagerly in tests
        check_runs_reap()
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("succeeded", 2)
    assert run.results.count() == len(keys())
