"""The demo's evidence: real check runs on its sample repositories, and what CI reports.

The seed is one transaction, so runs queued with ``transaction.on_commit``
would only reach a worker at its very end. Each request's run is therefore
executed here, in-process, with the engine a worker uses
(``gates.engine.check_run_execute``); only the run of the request left open
for the demo stays queued, for the worker ``make run`` starts. CI-reported
checks (``gates.checks.external``) are posted the way CI posts them.
"""

from __future__ import annotations

from typing import Any

from gates.engine import check_run_execute
from gates.evidence import project_evidence_update
from gates.models import CheckRun, CheckRunStatus, RunTrigger
from gates.runs import check_run_request
from gates.services import external_result_record
from projects.actors import system_actor
from projects.models import Project

from .repos import DemoCommit, DemoRepo


class DemoChecksError(RuntimeError):
    """A demo check run did not end as the demo expects (a bug in the demo or the engine)."""


def ci_report(project: Project, commit: DemoCommit) -> None:
    """Post what CI reports for ``commit`` (nothing before the repository has CI)."""
    for report in commit.ci:
        external_result_record(
            project=project,
            commit_sha=commit.sha,
            check_key=report.key,
            outcome=report.outcome,
            message=report.message,
            details=report.details,
            actor=system_actor("ci"),
        )


def request_run(project: Project, sha: str) -> CheckRun:
    """The live run a request queued for ``sha``."""
    live = CheckRun.objects.filter(project=project, commit_sha=sha).exclude(
        status=CheckRunStatus.CANCELLED
    )
    run = live.first()  # at most one: one live run per commit and check set
    if run is None:
        raise DemoChecksError(f"No check run was queued for {project.slug} at {sha[:10]}.")
    return run


def checks_execute(project: Project, sha: str) -> CheckRun:
    """Execute the queued run of ``sha`` in-process, as a worker would; it must succeed."""
    run = request_run(project, sha)
    if run.status == CheckRunStatus.QUEUED:
        check_run_execute(run.pk)
        run.refresh_from_db()
    if run.status != CheckRunStatus.SUCCEEDED:
        raise DemoChecksError(
            f"The checks of {project.slug} at {sha[:10]} ended {run.status}: {run.message}"
        )
    return run


def head_checks(
    project: Project, repo: DemoRepo, *, actor: Any, trigger: str = RunTrigger.MANUAL
) -> int | None:
    """Check the branch head as someone pressing "run checks" would; return the evidence level.

    The run resolves the head; when that commit was checked already, the run
    that holds its results becomes the head's. A head whose run is still queued
    (the open request's) gets its evidence level from the worker, later: None.
    """
    run = check_run_request(project=project, trigger=trigger, actor=actor)
    check_run_execute(run.pk)
    run.refresh_from_db()
    holder = run.duplicate_of if run.duplicate_of_id else run
    if holder.commit_sha != repo.head:
        raise DemoChecksError(
            f"The head of {project.slug} resolved to {holder.commit_sha[:10] or 'nothing'} "
            f"({run.message}), not {repo.head[:10]}."
        )
    if holder.status != CheckRunStatus.SUCCEEDED:
        return None
    return project_evidence_update(
        project_id=project.pk,
        commit_sha=holder.commit_sha,
        run_id=holder.pk,
        actor=system_actor("worker"),
    )
