"""Write services of the gates app: recording check runs and CI-reported results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.audit import audit_record
from projects.models import Project
from projects.permissions import SYSTEM_RECORDERS, Action, require, require_system

from .checks import REGISTRY
from .models import CheckOutcome, CheckResult, CheckRun, CheckRunStatus, ExternalCheckResult
from .signals import check_results_changed

SHA_CHARS = set("0123456789abcdef")


def clean_commit_sha(sha: str) -> str:
    sha = (sha or "").strip().lower()
    if len(sha) not in (40, 64) or not set(sha) <= SHA_CHARS:
        raise ValidationError(f"{sha!r} is not a full commit SHA (40 or 64 hex characters).")
    return sha


def _clean_outcome(outcome: str) -> str:
    if outcome not in CheckOutcome.values:
        raise ValidationError(
            f"Unknown outcome {outcome!r}; use one of {', '.join(CheckOutcome.values)}."
        )
    return outcome


@transaction.atomic
def check_run_record_completed(
    *, project: Project, commit_sha: str, results: Iterable[dict[str, Any]], actor: Any
) -> CheckRun:
    """Store a finished run with its results at once (seeding, imports, tests of gates).

    Results are evidence: only the worker (a system actor) records them this way;
    CI posts through ``external_result_record``.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    require_system(actor, SYSTEM_RECORDERS, "record completed check runs")
    results = list(results)
    now = timezone.now()
    run = CheckRun.objects.create(
        project=project,
        commit_sha=clean_commit_sha(commit_sha),
        check_keys=[r["check_key"] for r in results],
        status=CheckRunStatus.SUCCEEDED,
        started_at=now,
        finished_at=now,
    )
    CheckResult.objects.bulk_create(
        CheckResult(
            run=run,
            check_key=r["check_key"],
            outcome=_clean_outcome(r["outcome"]),
            message=r.get("message", "")[:500],
            evidence=r.get("evidence", {}),
            fix=r.get("fix", ""),
        )
        for r in results
    )
    audit_record(
        kind="checks.recorded",
        actor=actor,
        project=project,
        payload={"run": run.pk, "commit": run.commit_sha, "checks": len(results)},
    )
    transaction.on_commit(
        lambda: check_results_changed.send(
            sender=CheckRun, project_id=project.pk, commit_sha=run.commit_sha
        )
    )
    return run


def _refuse_computed_check_key(check_key: str) -> None:
    """CI reports external checks (or its own keys), never one mltrl computes from the
    repository: a report would otherwise overrule the worker's result at the gate."""
    check = REGISTRY.get(check_key)
    if check is not None and not check.external:
        external = ", ".join(sorted(k for k, c in REGISTRY.items() if c.external))
        raise ValidationError(
            {
                "check": f"{check_key!r} is computed by mltrl from the repository; CI cannot "
                f"report it. Report one of the external checks ({external}) or a key of your "
                "own (shown for information, never required by a gate)."
            }
        )


@transaction.atomic
def external_result_record(
    *,
    project: Project,
    commit_sha: str,
    check_key: str,
    outcome: str,
    message: str = "",
    details: dict | None = None,
    actor: Any,
) -> ExternalCheckResult:
    """Store a result CI reported for a commit; the newest report per key wins.

    The reporter needs the request-level-change permission on the project: an
    owning-team member's CI token, or the ``ci`` system actor.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.REQUEST_LEVEL_CHANGE, project)
    if not check_key or len(check_key) > 64:
        raise ValidationError("A check key of 1 to 64 characters is required.")
    _refuse_computed_check_key(check_key)
    result = ExternalCheckResult.objects.create(
        project=project,
        commit_sha=clean_commit_sha(commit_sha),
        check_key=check_key,
        outcome=_clean_outcome(outcome),
        message=message[:500],
        details=details or {},
        reported_by=actor,
    )
    audit_record(
        kind="check.reported",
        actor=actor,
        project=project,
        payload={"commit": result.commit_sha, "check": check_key, "outcome": outcome},
    )
    transaction.on_commit(
        lambda: check_results_changed.send(
            sender=ExternalCheckResult, project_id=project.pk, commit_sha=result.commit_sha
        )
    )
    return result
