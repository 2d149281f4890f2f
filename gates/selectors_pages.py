"""Reads behind the gates' pages: a project's latest check run, the role catalog."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from projects.models import Project, ReviewRole

from .models import CheckResult, CheckRun, CheckRunStatus, ExternalCheckResult, GatePolicySlot


@dataclass(frozen=True)
class RunSummary:
    run: CheckRun | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def passing(self) -> int:
        return self.counts.get("pass", 0) + self.counts.get("warn", 0)


def project_latest_run(project: Project) -> RunSummary:
    """The newest run of the project (cancelled duplicates skipped) and its outcome counts."""
    run = (
        CheckRun.objects.filter(project=project)
        .exclude(status=CheckRunStatus.CANCELLED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if run is None:
        return RunSummary(None)
    counts = Counter(CheckResult.objects.filter(run=run).values_list("outcome", flat=True))
    return RunSummary(run, dict(counts))


def external_results_for(*, project: Project, commit_sha: str) -> list[ExternalCheckResult]:
    """The newest CI-reported result of each check on a commit."""
    if not commit_sha:
        return []
    newest: dict[str, ExternalCheckResult] = {}
    for result in ExternalCheckResult.objects.filter(
        project=project, commit_sha=commit_sha
    ).order_by("check_key", "-created_at", "-pk"):
        newest.setdefault(result.check_key, result)
    return list(newest.values())


@dataclass(frozen=True)
class RoleEntry:
    role: ReviewRole
    gates: tuple[str, ...]  # gate keys with a slot that counts this role


def role_catalog() -> list[RoleEntry]:
    """Every review role with the gates that count it (two queries)."""
    gates: dict[int, set[str]] = {}
    for role_id, key in GatePolicySlot.roles.through.objects.values_list(
        "reviewrole_id", "gatepolicyslot__policy__key"
    ):
        gates.setdefault(role_id, set()).add(key)

    def order(key: str) -> tuple[int, str]:
        head = key.split("-", 1)[0]
        return (int(head), key) if head.isdigit() else (99, key)

    return [
        RoleEntry(role, tuple(sorted(gates.get(role.pk, ()), key=order)))
        for role in ReviewRole.objects.order_by("key")
    ]
