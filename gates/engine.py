"""Executing a check run in a worker: claim, fetch, resolve, check, finish.

Expect every delivery to happen twice: the run is claimed with a compare-and-
swap under a row lock; a run held by a live worker is left alone, one held by
a dead worker (stale heartbeat, or a local pid that no longer exists) is taken
over (``gates.run_lifecycle``). Results are upserted per (run, check), so a
redelivered run ends once with exactly one set of results. Every failure ends
the run in a defined state with a message the researcher can act on; the
worker itself never crashes. A database outage is transient like a network
one: the run goes back to the queue (its partial results are redone) and the
task retries with backoff on a fresh connection.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.actors import system_actor, system_actors_cached
from projects.models import Project

from . import checks as _catalog  # noqa: F401  (registers every check)
from .check_memo import CheckMemo, outputs_memoized
from .checks.base import CheckContext, CheckOutput, errored, repository_checks
from .checks.config import CONFIG_PATH, ConfigError, config_parse
from .evidence import project_evidence_update
from .git import GitError, Mirror, RepoSnapshot
from .listing import listing_save
from .mirror_upkeep import mirror_upkeep
from .models import CheckResult, CheckRun, CheckRunStatus
from .run_lifecycle import (
    BUSY,
    DATABASE_ERRORS,
    DATABASE_MESSAGE,
    RUNNING_HERE,
    Fault,
    TransientRunError,
    check_run_give_up,
    check_runs_reap,
    database_reconnect,
    run_claim,
    run_finished_record,
    run_release,
    worker_identity,
)
from .run_prepare import Preparation
from .signals import check_results_changed, commit_resolved

__all__ = [
    "TransientRunError",
    "check_run_execute",
    "check_run_give_up",
    "check_runs_reap",
    "worker_identity",
]

logger = logging.getLogger(__name__)


class _Heartbeat(threading.Thread):
    """Refreshes the run's heartbeat; notices when the run was cancelled or taken over."""

    def __init__(self, run_id: int, worker: str):
        super().__init__(daemon=True, name=f"heartbeat-{run_id}")
        self.run_id, self.worker = run_id, worker
        self.stopped = threading.Event()
        self.lost = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.MLTRL_RUN_HEARTBEAT_S):
                try:
                    alive = CheckRun.objects.filter(
                        pk=self.run_id, claimed_by=self.worker, status=CheckRunStatus.RUNNING
                    ).update(heartbeat_at=timezone.now())
                except DATABASE_ERRORS:  # the run notices too; beat again once it is back
                    database_reconnect()
                    continue
                if not alive:
                    self.lost.set()
                    return
        finally:
            database_reconnect()


class _ResultBatch:
    """Results written in batches, each with the progress, in one transaction.

    A batch is flushed when ``MLTRL_RUN_FLUSH_S`` has passed since the last one,
    so a slow run shows "4 of 11 checks done" as it goes while a fast run
    writes once. Each flush first checks, by compare-and-swap, that the run is
    still ours and running; upserts keep exactly one result per check.
    """

    def __init__(self, run: CheckRun, worker: str):
        self.run, self.worker = run, worker
        self.pending: list[CheckResult] = []
        self.done = 0
        self.flushed_at = time.monotonic()

    def add(self, key: str, output: CheckOutput) -> bool:
        self.pending.append(
            CheckResult(
                run=self.run,
                check_key=key,
                outcome=output.outcome,
                message=output.message[:500],
                evidence=output.evidence,
                fix=output.fix,
            )
        )
        self.done += 1
        if time.monotonic() - self.flushed_at >= settings.MLTRL_RUN_FLUSH_S:
            return self.flush()
        return True

    def flush(self) -> bool:
        with transaction.atomic():
            mine = CheckRun.objects.filter(
                pk=self.run.pk, claimed_by=self.worker, status=CheckRunStatus.RUNNING
            ).update(progress_done=self.done, heartbeat_at=timezone.now())
            if not mine:
                return False
            CheckResult.objects.bulk_create(
                self.pending,
                update_conflicts=True,
                unique_fields=["run", "check_key"],
                update_fields=["outcome", "message", "evidence", "fix"],
            )
        self.pending = []
        self.flushed_at = time.monotonic()
        return True


def _finish(run: CheckRun, worker: str, status: str, message: str, kind: str = "") -> bool:
    """End a run we still hold; announce results after commit. False if we lost it.

    A success and the evidence level it sets are one transaction: nobody sees a
    finished run whose evidence level is not written yet.
    """
    succeeded = status == CheckRunStatus.SUCCEEDED
    with transaction.atomic():
        # The project before the run: the order check_run_request locks in.
        project = Project.objects.select_for_update().filter(pk=run.project_id).first()
        finished_at = timezone.now()
        updated = CheckRun.objects.filter(
            pk=run.pk, claimed_by=worker, status=CheckRunStatus.RUNNING
        ).update(status=status, message=message, error_kind=kind, finished_at=finished_at)
        if updated:
            run.status, run.message, run.error_kind = status, message, kind
            run.finished_at = finished_at
            run_finished_record(run.pk, run=run, project=project)
        if updated and succeeded:
            project_id, sha = run.project_id, run.commit_sha
            project_evidence_update(
                project_id=project_id, commit_sha=sha, run_id=run.pk, actor=system_actor("worker")
            )
            transaction.on_commit(
                lambda: check_results_changed.send(
                    sender=CheckRun, project_id=project_id, commit_sha=sha
                )
            )
    return bool(updated)


def _announce(project_id: int, sha: str, run_id: int) -> None:
    project_evidence_update(
        project_id=project_id, commit_sha=sha, run_id=run_id, actor=system_actor("worker")
    )
    check_results_changed.send(sender=CheckRun, project_id=project_id, commit_sha=sha)


def _adopt_commit(run: CheckRun, sha: str) -> CheckRun:
    """Give the run its resolved commit, or point it at the run that already has it.

    Returns the run that holds (or will hold) the results for ``sha``.
    """
    with transaction.atomic():
        existing = (
            CheckRun.objects.select_for_update()
            .filter(project_id=run.project_id, commit_sha=sha, check_set=run.check_set)
            .exclude(status=CheckRunStatus.CANCELLED)
            .exclude(pk=run.pk)
            .first()
        )
        if existing is not None and existing.status == CheckRunStatus.FAILED:
            existing.status = CheckRunStatus.CANCELLED
            existing.message = f"Checked again in run {run.pk}."
            existing.save(update_fields=["status", "message"])
            existing = None
        now = timezone.now()
        if existing is None:
            try:
                with transaction.atomic():
                    CheckRun.objects.filter(pk=run.pk).update(commit_sha=sha, head_resolved_at=now)
            except IntegrityError:  # another worker adopted the same commit first
                return _adopt_commit(run, sha)
            run.commit_sha, run.head_resolved_at = sha, now
            holder = run
        else:
            CheckRun.objects.filter(pk=run.pk).update(
                status=CheckRunStatus.CANCELLED,
                commit_sha=sha,
                duplicate_of=existing,
                finished_at=now,
                message=f"Commit {sha[:10]} is already checked in run {existing.pk}; "
                "its results are used.",
            )
            CheckRun.objects.filter(pk=existing.pk).update(head_resolved_at=now)
            holder = existing
            if existing.status == CheckRunStatus.SUCCEEDED:
                project_id, holder_id = run.project_id, existing.pk
                transaction.on_commit(lambda: _announce(project_id, sha, holder_id))
        newer = (
            CheckRun.objects.filter(project_id=run.project_id, pk__gt=run.pk)
            .exclude(commit_sha="")
            .exists()
        )
        if not newer:  # an older run resolving late must not re-pin backwards
            project_id, request_id = run.project_id, run.request_id
            transaction.on_commit(
                lambda: commit_resolved.send(
                    sender=CheckRun, project_id=project_id, commit_sha=sha, request_id=request_id
                )
            )
    return holder


def _run_one(check, context: CheckContext) -> CheckOutput:
    try:
        return check.run(context)
    except GitError as exc:
        return errored(f"The check could not read the repository: {exc.message}")
    except (SoftTimeLimitExceeded, *DATABASE_ERRORS):  # not the check's fault: the run's
        raise
    except Exception:
        logger.exception("check %s crashed", check.key)
        return errored(
            f"The check {check.key} crashed on this repository; this is a bug in mltrl.",
            "Tell the administrators; the other checks are not affected.",
        )


def _mirror(project: Project) -> Mirror:
    return Mirror(f"project-{project.pk}", project.repository_url)


def _execute(run: CheckRun, worker: str, heartbeat: _Heartbeat) -> None:
    mirror = _mirror(run.project)
    with mirror.reading():  # from the first look at a (pinned) commit to the last read
        _fetch_and_check(run, worker, heartbeat, mirror)


def _fetch_and_check(run: CheckRun, worker: str, heartbeat: _Heartbeat, mirror: Mirror) -> None:
    project = run.project
    branch = run.ref or project.default_branch
    prepared = Preparation(mirror)  # reads the fact store while git fetches
    if run.commit_sha:
        sha = run.commit_sha
        if not mirror.has_commit(sha):
            mirror.fetch(branch)
        if not mirror.has_commit(sha):
            with contextlib.suppress(GitError):  # servers may refuse wants by SHA
                mirror.fetch_commit(sha)
        if not mirror.has_commit(sha):
            raise GitError(
                "commit_not_found",
                f"Commit {sha[:10]} is not on the branch {branch!r} any more "
                "(was it force-pushed away?).",
            )
        snapshot = mirror.snapshot(sha)
    else:
        sha = mirror.fetch(branch)
        holder = _adopt_commit(run, sha)
        if holder.pk != run.pk:
            return
        snapshot = mirror.snapshot(sha)
    with snapshot:  # one cat-file process for every read
        _check(run, worker, heartbeat, mirror, snapshot, prepared)


def _check(
    run: CheckRun,
    worker: str,
    heartbeat: _Heartbeat,
    mirror: Mirror,
    snapshot: RepoSnapshot,
    prepared: Preparation,
) -> None:
    sha = snapshot.sha
    # The fact store, git's changed paths since its commit, and the listing (checked
    # against the file-count cap before any check runs): gates.run_prepare.
    store, changed = prepared.result(snapshot)
    config_error = None
    config_text = snapshot.read_text(CONFIG_PATH)
    try:
        config = config_parse(config_text)
    except ConfigError as exc:
        config, config_error = None, str(exc)
    context = CheckContext(snapshot, config, store) if config is not None else None
    if context is not None:
        context.changes = changed
    memo = CheckMemo(store, snapshot.entries(), config_text, changed)
    counts = {"pass": 0, "warn": 0, "fail": 0, "error": 0}
    batch = _ResultBatch(run, worker)
    if config_error:
        fix = f"Fix {CONFIG_PATH} or remove it to use the defaults."
        outputs = ((check, errored(config_error, fix)) for check in repository_checks())
    else:
        outputs = outputs_memoized(repository_checks(), memo, lambda c: _run_one(c, context))
    for check, output in outputs:
        if heartbeat.lost.is_set():
            return
        counts[output.outcome] += 1
        if not batch.add(check.key, output):
            return  # cancelled or taken over: write nothing more
    if not batch.flush():
        return
    done = batch.done
    if context is not None:
        own = memo.current_blob_keys()
        reachable = own | mirror.head_blob_keys(known={sha: own})
        store.save(
            mirror.facts_path,
            current=reachable,
            max_bytes=settings.MLTRL_FACTS_MAX_BYTES,
            commit=sha,
        )
        cap = mirror.limits.max_blob_bytes
        listing_save(
            mirror.listing_path,
            sha,
            snapshot.entries(),
            blob_cap=cap,
            stored=prepared.listing,
            changed=changed,
        )
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    _finish(run, worker, CheckRunStatus.SUCCEEDED, f"{done} checks on {sha[:10]}: {summary}.")


def check_run_execute(run_id: int, *, worker: str | None = None) -> str:
    """Run one check run to a defined end. Raises ``TransientRunError`` to ask for a retry."""
    worker = worker or worker_identity()
    try:
        with system_actors_cached():  # "worker" is asked for by the engine and receivers
            return _claim_and_execute(run_id, worker)
    except DATABASE_ERRORS as exc:
        logger.warning("check run %s: database error; it will be retried", run_id, exc_info=True)
        database_reconnect()
        fault = Fault("database", DATABASE_MESSAGE)
        try:
            run_release(run_id, worker, fault)
        except DATABASE_ERRORS:  # still down: the retry takes the run over (same identity)
            database_reconnect()
        raise TransientRunError(fault) from exc


def _claim_and_execute(run_id: int, worker: str) -> str:
    claimed = run_claim(run_id, worker)
    if claimed is None:
        return "skipped"
    if claimed == BUSY:
        return BUSY
    run = claimed
    RUNNING_HERE.add(run.pk)
    heartbeat = _Heartbeat(run.pk, worker)
    heartbeat.start()
    try:
        _execute(run, worker, heartbeat)
    except GitError as exc:
        if exc.transient:
            run_release(run.pk, worker, exc)
            raise TransientRunError(exc) from exc
        _finish(run, worker, CheckRunStatus.FAILED, exc.message, exc.kind)
    except SoftTimeLimitExceeded:
        _finish(
            run,
            worker,
            CheckRunStatus.FAILED,
            f"The check run took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s "
            "and was stopped.",
            "timeout",
        )
    except DATABASE_ERRORS:
        raise
    except Exception:
        logger.exception("check run %s failed", run.pk)
        _finish(
            run,
            worker,
            CheckRunStatus.FAILED,
            "An internal error stopped the check run; the administrators can see it in the "
            "worker log.",
            "internal",
        )
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
        RUNNING_HERE.discard(run.pk)
    # Only now, results and status written: clean the mirror if it has grown (it logs
    # its own failures; a URL refused or the project unreadable means nothing to do).
    with contextlib.suppress(GitError, *DATABASE_ERRORS):
        mirror_upkeep(_mirror(run.project))
    return "done"
