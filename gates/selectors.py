"""Read-only queries over check runs and results."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from projects.models import Project

from .checks import REGISTRY
from .models import CheckResult, CheckRun, CheckRunStatus, ExternalCheckResult


@dataclass(frozen=True)
class CheckStatus:
    key: str
    outcome: str | None  # None: no result on this commit yet
    message: str
    run_id: int | None = None
    external: bool = False


def latest_completed_run(project: Project, commit_sha: str) -> CheckRun | None:
    return (
        CheckRun.objects.filter(
            project=project, commit_sha=commit_sha, status=CheckRunStatus.SUCCEEDED
        )
        .order_by("-finished_at", "-pk")
        .first()
    )


def check_statuses(
    *, project: Project, commit_sha: str, keys: Iterable[str]
) -> dict[str, CheckStatus]:
    """The outcome of each check on a commit: the latest completed run, then CI reports.

    A key with neither a run result nor an external result has outcome None.
    Two queries whatever the number of keys.
    """
    keys = list(keys)
    statuses = {k: CheckStatus(k, None, "No result on this commit yet.") for k in keys}
    if not commit_sha:
        return {k: CheckStatus(k, None, "The request has no pinned commit yet.") for k in keys}
    run = latest_completed_run(project, commit_sha)
    if run is not None:
        for result in CheckResult.objects.filter(run=run, check_key__in=keys):
            statuses[result.check_key] = CheckStatus(
                result.check_key, result.outcome, result.message, run.pk
            )
    # CI speaks only for checks the server does not compute (``_refuse_computed_check_key``
    # refuses the rest); a report stored before that rule never overrules a run.
    reportable = [k for k in keys if k not in REGISTRY or REGISTRY[k].external]
    reported = ExternalCheckResult.objects.filter(
        project=project, commit_sha=commit_sha, check_key__in=reportable
    ).order_by("check_key", "-created_at", "-pk")
    seen: set[str] = set()
    for result in reported:
        if result.check_key in seen:
            continue
        seen.add(result.check_key)
        statuses[result.check_key] = CheckStatus(
            result.check_key, result.outcome, result.message or "Reported by CI.", external=True
        )
    return statuses
