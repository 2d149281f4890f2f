"""A check run's ownership: claim, release, finish, give up, reap.

Every transition is a compare-and-swap on the run row, so two deliveries of
the same message (a redelivery after a crash, a message the outbox sent again)
end the run once. ``gates.engine`` does the work between claim and finish.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from projects.actors import system_actor
from projects.audit import audit_record
from projects.models import Project

from .models import CHECK_RUN_FINAL_STATES, CheckRun, CheckRunStatus
from .run_outbox import run_message_send_on_commit

BUSY = "busy"

# The database went away (server down, restarted, connection cut or closed):
# the run did nothing wrong and is tried again, never failed as "internal".
DATABASE_ERRORS = (OperationalError, InterfaceError)

DATABASE_MESSAGE = "The database could not be reached during the run; it will be tried again."

# Runs this process is executing now: a run claimed under this process's
# identity but not listed here was left behind by an earlier attempt in this
# same process (its release failed while the database was down).
RUNNING_HERE: set[int] = set()


@dataclass(frozen=True)
class Fault:
    """Why a run was put back (the shape of ``GitError`` that retries need)."""

    kind: str
    message: str


class TransientRunError(Exception):
    """A network-like failure worth retrying; the run was put back in the queue."""

    def __init__(self, error):
        super().__init__(error.message)
        self.error = error


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def database_reconnect() -> None:
    """Drop the broken connection; the next query opens a fresh one."""
    try:
        connection.close()
    except DATABASE_ERRORS:  # closing a dead connection may fail too; it is gone either way
        connection.connection = None


def holder_is_dead(run: CheckRun, worker: str | None = None) -> bool:
    """The worker holding a running run stopped: stale heartbeat, or a local pid gone."""
    worker = worker or worker_identity()
    if run.claimed_by == worker and run.pk not in RUNNING_HERE:
        return True
    timeout = timedelta(seconds=settings.MLTRL_RUN_HEARTBEAT_TIMEOUT_S)
    if run.heartbeat_at is None or timezone.now() - run.heartbeat_at > timeout:
        return True
    host, _, pid = run.claimed_by.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def run_claim(run_id: int, worker: str) -> CheckRun | str | None:
    """Take the run (queued, or held by a dead worker); BUSY if a live worker holds it."""
    with transaction.atomic():
        run = (  # the project comes along: the engine reads it next (one query less)
            CheckRun.objects.select_for_update(of=("self",))
            .select_related("project")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status in CHECK_RUN_FINAL_STATES:
            return None
        if run.status == CheckRunStatus.RUNNING and not holder_is_dead(run, worker):
            return BUSY
        started = run.attempts
        give_up = started + 1 > settings.MLTRL_RUN_MAX_ATTEMPTS
        if not give_up:
            run.attempts += 1
            now = timezone.now()
            run.status = CheckRunStatus.RUNNING
            run.claimed_by = worker
            run.heartbeat_at = now
            run.started_at = run.started_at or now
            run.save()
            return run
    # Given up outside the claim's transaction: ending a run is recorded on the
    # project's audit chain, which needs the project locked before the run.
    check_run_give_up(
        run_id,
        f"The check run was started {started} times without finishing (its worker "
        "stopped each time); it was given up. Re-run it, and tell an administrator if "
        "it happens again.",
    )
    return None


def run_release(run_id: int, worker: str, error) -> None:
    """Put a run back in the queue after a transient failure (the task retries it).

    ``enqueued_at`` is stamped: the retry's message is on its way, so the outbox
    leaves the run alone unless that message is lost too.
    """
    CheckRun.objects.filter(pk=run_id, claimed_by=worker, status=CheckRunStatus.RUNNING).update(
        status=CheckRunStatus.QUEUED,
        claimed_by="",
        message=error.message,
        error_kind=error.kind,
        enqueued_at=timezone.now(),
    )


def run_finished_record(run_id: int, *, run: CheckRun | None = None, project=None) -> None:
    """Record on the audit chain that a run ended (``checks.finished``), in the caller's
    transaction, which holds the project's row lock. The webhooks app reports it.

    ``run`` and ``project``: the caller's up-to-date (locked) rows, saving a read each.
    """
    run = run if run is not None else CheckRun.objects.get(pk=run_id)
    audit_record(
        kind="checks.finished",
        actor=system_actor("worker"),
        project=project if project is not None else Project.objects.get(pk=run.project_id),
        payload={
            "run": run.pk,
            "commit": run.commit_sha,
            "status": run.status,
            "error_kind": run.error_kind,
            "request": run.request_id,
        },
    )


def check_run_give_up(run_id: int, message: str) -> None:
    """End the run as failed (``gave_up``) and record it: after the last retry of a
    transient failure, or when it was started too often without finishing."""
    project_id = CheckRun.objects.filter(pk=run_id).values_list("project_id", flat=True).first()
    if project_id is None:
        return
    with transaction.atomic():  # the project before the run, as every writer locks them
        Project.objects.select_for_update().filter(pk=project_id).first()
        ended = (
            CheckRun.objects.filter(pk=run_id)
            .exclude(status__in=CHECK_RUN_FINAL_STATES)
            .update(
                status=CheckRunStatus.FAILED,
                message=message,
                error_kind="gave_up",
                finished_at=timezone.now(),
                claimed_by="",
            )
        )
        if ended:
            run_finished_record(run_id)


def check_runs_reap() -> int:
    """End or requeue runs whose worker died (heartbeat stopped). Returns how many."""
    timeout = timedelta(seconds=settings.MLTRL_RUN_HEARTBEAT_TIMEOUT_S)
    stale = CheckRun.objects.filter(
        status=CheckRunStatus.RUNNING, heartbeat_at__lt=timezone.now() - timeout
    )
    reaped = 0
    for run in stale:
        with transaction.atomic():  # the project before the run, as every writer locks them
            Project.objects.select_for_update().filter(pk=run.project_id).first()
            locked = CheckRun.objects.select_for_update().get(pk=run.pk)
            if locked.status != CheckRunStatus.RUNNING or not holder_is_dead(locked):
                continue
            if locked.attempts >= settings.MLTRL_RUN_MAX_ATTEMPTS:
                locked.status = CheckRunStatus.FAILED
                locked.error_kind = "worker_lost"
                locked.message = "The worker running these checks stopped; the run was given up."
                locked.finished_at = timezone.now()
                locked.save()
                run_finished_record(locked.pk)
            else:
                locked.status = CheckRunStatus.QUEUED
                locked.claimed_by = ""
                locked.message = "The worker running these checks stopped; queued again."
                locked.save()
                run_message_send_on_commit(locked.pk)
            reaped += 1
    return reaped
