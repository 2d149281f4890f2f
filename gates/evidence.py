"""Evidence level: the highest level whose required checks all pass on the current commit.

Shown beside the granted level. Only the run holding the newest head of the
project's branch moves it, so an old commit checked late never sets it back.
Waivers do not count here: evidence is what the repository shows.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from projects.levels import HIGHEST_LEVEL
from projects.models import Project
from projects.permissions import SYSTEM_RECORDERS, require_system
from projects.services import project_evidence_set

from .models import PASSING_OUTCOMES, CheckRun, CheckRunStatus, GateKind, GatePolicyVersion
from .policies import advance_key, policy_by_key, policy_current_version
from .selectors import check_statuses


def cumulative_required_checks() -> list[tuple[str, ...]]:
    """For each level 1..9 (index 0 is level 1), every check required to reach it.

    The advance gates' current policies are read in one query.
    """
    latest: dict[str, dict] = {}
    for key, snapshot in (
        GatePolicyVersion.objects.filter(policy__kind=GateKind.ADVANCE)
        .order_by("policy__key", "-number")
        .values_list("policy__key", "snapshot")
    ):
        latest.setdefault(key, snapshot)  # the newest version of each gate's policy
    cumulative: list[tuple[str, ...]] = []
    keys: list[str] = []
    for target in range(1, HIGHEST_LEVEL + 1):
        gate = advance_key(target - 1)
        if gate not in latest:  # never published yet: publish (or refuse if missing)
            latest[gate] = policy_current_version(policy_by_key(gate)).snapshot
        keys += [k for k in latest[gate]["required_checks"] if k not in keys]
        cumulative.append(tuple(keys))
    return cumulative


def evidence_level_compute(project: Project, commit_sha: str) -> int:
    """Climb from level 0 while every check required to reach the next level passes.

    The statuses of all the gates' checks are fetched in one call, whatever the
    number of levels.
    """
    cumulative = cumulative_required_checks()
    statuses = check_statuses(project=project, commit_sha=commit_sha, keys=cumulative[-1])
    level = 0
    for target, required in enumerate(cumulative, start=1):
        if not all(statuses[k].outcome in PASSING_OUTCOMES for k in required):
            break
        level = target
    return level


def project_evidence_update(
    *, project_id: int, commit_sha: str, run_id: int, actor: Any
) -> int | None:
    """Recompute and store the evidence level if this run holds the newest branch head.

    Runs asked for an explicit older commit never move it, and neither does a
    head that a later run has since superseded.
    """
    require_system(actor, SYSTEM_RECORDERS, "record evidence levels")
    run = CheckRun.objects.filter(pk=run_id).values("head_resolved_at").first()
    if run is None or run["head_resolved_at"] is None:
        return None
    newer = (
        CheckRun.objects.filter(
            project_id=project_id,
            head_resolved_at__gt=run["head_resolved_at"],
            status=CheckRunStatus.SUCCEEDED,
        )
        .exclude(commit_sha=commit_sha)
        .exists()
    )
    if newer:
        return None
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project_id)
        level = evidence_level_compute(project, commit_sha)
        project_evidence_set(project=project, level=level, commit_sha=commit_sha, actor=actor)
    return level
