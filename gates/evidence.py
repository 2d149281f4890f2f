"""Evidence level: the highest level whose required checks all pass on the current commit.

Shown beside the granted level. Only the newest resolved run of the project's
default branch moves it, so an old commit checked late never sets it back.
Waivers do not count here: evidence is what the repository shows.
"""

from __future__ import annotations

from django.db import transaction

from projects.levels import HIGHEST_LEVEL
from projects.models import Project
from projects.services import project_evidence_set

from .models import PASSING_OUTCOMES, CheckRun, GateKind
from .policies import requirements_resolve
from .selectors import check_statuses


def evidence_level_compute(project: Project, commit_sha: str) -> int:
    """Climb from level 0 while every check required to reach the next level passes."""
    level = 0
    for target in range(1, HIGHEST_LEVEL + 1):
        _, requirements = requirements_resolve(
            kind=GateKind.ADVANCE, from_level=target - 1, to_level=target
        )
        statuses = check_statuses(
            project=project, commit_sha=commit_sha, keys=requirements.required_checks
        )
        if not all(s.outcome in PASSING_OUTCOMES for s in statuses.values()):
            break
        level = target
    return level


def project_evidence_update(*, project_id: int, commit_sha: str, run_id: int) -> int | None:
    """Recompute and store the evidence level if this run is the project's newest."""
    newer = (
        CheckRun.objects.filter(project_id=project_id, pk__gt=run_id)
        .exclude(commit_sha="")
        .exclude(commit_sha=commit_sha)
        .filter(status="succeeded")
        .exists()
    )
    if newer:
        return None
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project_id)
        level = evidence_level_compute(project, commit_sha)
        project_evidence_set(project=project, level=level, commit_sha=commit_sha)
    return level
