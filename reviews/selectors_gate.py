"""The gate query pipelines ask before deploying: may project X ship commit SHA at level N?

Yes when the project is granted level N or higher and every check required to
reach level N (cumulative over the advance gates) passes on that commit, or is
covered by a valid waiver. Otherwise no, with one sentence per reason a person
can act on. A fixed number of queries whatever the number of checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gates.evidence import cumulative_required_checks
from gates.models import PASSING_OUTCOMES
from gates.selectors import check_statuses
from projects.models import Project

from .selectors import waivers_valid


@dataclass(frozen=True)
class GateItem:
    check: str
    outcome: str | None
    state: str  # "pass", "waived", "failing", "missing"
    message: str


@dataclass(frozen=True)
class GateAnswer:
    allowed: bool
    level: int
    commit_sha: str
    granted_level: int
    evidence_level: int  # on this commit, waivers not counted
    reasons: list[str] = field(default_factory=list)
    items: list[GateItem] = field(default_factory=list)


def gate_answer(*, project: Project, level: int, commit_sha: str) -> GateAnswer:
    """The answer and its reasons for shipping ``commit_sha`` of ``project`` at ``level``."""
    short = commit_sha[:12]
    cumulative = [(), *cumulative_required_checks()]  # index = level
    required = cumulative[level]
    statuses = check_statuses(project=project, commit_sha=commit_sha, keys=cumulative[-1])
    waived = set(
        waivers_valid(project.pk).filter(check_key__in=required).values_list("check_key", flat=True)
    )
    evidence_level = 0
    for target in range(1, len(cumulative)):
        if not all(statuses[k].outcome in PASSING_OUTCOMES for k in cumulative[target]):
            break
        evidence_level = target
    reasons: list[str] = []
    if project.level < level:
        reasons.append(
            f"{project.name} is granted level {project.level}; level {level} needs an "
            "approved level-change request first."
        )
    items: list[GateItem] = []
    for key in required:
        status = statuses[key]
        if status.outcome in PASSING_OUTCOMES:
            items.append(GateItem(key, status.outcome, "pass", status.message))
        elif key in waived:
            items.append(GateItem(key, status.outcome, "waived", "Covered by a valid waiver."))
        elif status.outcome is None:
            items.append(GateItem(key, None, "missing", status.message))
            reasons.append(
                f"No result for check {key} on commit {short}: run the checks or post CI "
                "evidence for this commit."
            )
        else:
            items.append(GateItem(key, status.outcome, "failing", status.message))
            reasons.append(f"Check {key} is {status.outcome} on commit {short}: {status.message}")
    return GateAnswer(
        allowed=not reasons,
        level=level,
        commit_sha=commit_sha,
        granted_level=project.level,
        evidence_level=evidence_level,
        reasons=reasons,
        items=items,
    )
