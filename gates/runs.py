"""Asking for check runs: dedupe per commit, newest commit wins, enqueue on commit.

``check_run_request`` is the only way a run gets queued. It writes the run row
first and enqueues the Celery task with ``transaction.on_commit``, so a worker
never sees an id that does not exist yet, and a rolled-back request queues
nothing. A broker error after commit is logged, never raised: the row is the
truth and the outbox dispatcher sends a lost message again
(``gates.run_outbox``); asking again for a commit whose run has waited too
long sends its message again at once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.audit import audit_record
from projects.models import Project
from projects.permissions import Action, require

from . import checks as _catalog  # noqa: F401  (registers every check)
from .checks.base import catalog_version, repository_checks
from .models import CHECK_RUN_ACTIVE_STATES, CheckRun, CheckRunStatus, RunTrigger
from .run_outbox import run_message_is_stale, run_message_send_on_commit
from .services import clean_commit_sha


def _enqueue(run: CheckRun) -> None:
    run_message_send_on_commit(run.pk)


def _cancel_older_runs_of_request(project: Project, request_id: int | None, keep: CheckRun) -> None:
    """Newest commit wins: older active runs asked by the same request stop."""
    if request_id is None:
        return
    CheckRun.objects.filter(
        project=project, request_id=request_id, status__in=CHECK_RUN_ACTIVE_STATES
    ).exclude(pk=keep.pk).update(
        status=CheckRunStatus.CANCELLED,
        message=f"Superseded by run {keep.pk} (a newer commit or re-run).",
        finished_at=timezone.now(),
    )


@transaction.atomic
def check_run_request(
    *,
    project: Project,
    trigger: str,
    commit_sha: str = "",
    request_id: int | None = None,
    actor: Any,
) -> CheckRun | None:
    """Queue the catalog against a commit (or the default branch head when none is given).

    Returns the run that will hold the results: an existing live run for the
    same commit and check set is reused (a failed one is queued again). Returns
    None when the project links no repository. The actor needs the
    request-level-change permission (owning-team members, the worker, beat, CI).
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.REQUEST_LEVEL_CHANGE, project)
    if trigger not in RunTrigger.values:
        raise ValidationError(f"Unknown trigger {trigger!r}.")
    if not project.repository_url:
        return None
    check_set = catalog_version()
    keys = [c.key for c in repository_checks()]
    sha = clean_commit_sha(commit_sha) if commit_sha else ""
    run = None
    if sha:
        run = (
            CheckRun.objects.select_for_update()
            .filter(project=project, commit_sha=sha, check_set=check_set)
            .exclude(status=CheckRunStatus.CANCELLED)
            .first()
        )
    if run is not None:
        if run.status == CheckRunStatus.FAILED:
            run.status = CheckRunStatus.QUEUED
            run.attempts = 0
            run.claimed_by = ""
            run.message = ""
            run.error_kind = ""
            run.trigger = trigger
            run.request_id = request_id or run.request_id
            run.save()
            _enqueue(run)
        elif run_message_is_stale(run):  # its message was probably lost: ring again
            _enqueue(run)
            if request_id is not None and run.request_id != request_id:
                CheckRun.objects.filter(pk=run.pk).update(request_id=request_id)
        elif request_id is not None and run.request_id != request_id:
            CheckRun.objects.filter(pk=run.pk).update(request_id=request_id)
    else:
        try:
            with transaction.atomic():
                run = CheckRun.objects.create(
                    project=project,
                    ref=project.default_branch,
                    commit_sha=sha,
                    check_set=check_set,
                    check_keys=keys,
                    trigger=trigger,
                    request_id=request_id,
                    progress_total=len(keys),
                )
        except IntegrityError:  # the same commit was queued concurrently: reuse that run
            return (
                CheckRun.objects.filter(project=project, commit_sha=sha, check_set=check_set)
                .exclude(status=CheckRunStatus.CANCELLED)
                .get()
            )
        _enqueue(run)
    _cancel_older_runs_of_request(project, request_id, run)
    audit_record(
        kind="checks.requested",
        actor=actor,
        project=project,
        payload={"run": run.pk, "trigger": trigger, "commit": sha, "request": request_id},
    )
    return run
