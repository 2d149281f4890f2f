"""At risk: a project at level 7+ whose scheduled monitoring shows it no longer holds its level.

The rule (docs/workflow.md, "At risk"): after a **scheduled** run of a project at
``MLTRL_MONITOR_FROM_LEVEL`` (7) or above completes, the project is at risk when

- a required check of its current level fails on that run and no waiver is in force
  (``check_failing``), or the waiver that covered it has expired (``waiver_expired``);
- its evidence level is below its granted level (``evidence_below``).

Flagging records ``project.at_risk`` with the reasons; a **draft** switchback
request is proposed to the owning team when the project has no request under
way (a draft counts as active, so proposing one while the team has its own
request would block theirs: then the flag alone tells them). The team submits
the draft or withdraws it; nothing is opened for them. When a later scheduled run
(or the beat's ``reviews.assess_risks``, which also notices a waiver that expired
while the head stayed put) shows every reason gone, the flag clears
(``project.risk_cleared``) and the proposed draft, if still a draft, is withdrawn by the worker.

Everything runs as the ``worker`` system actor under the project's row lock.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gates.models import PASSING_OUTCOMES, CheckRun, CheckRunStatus, GateKind, RunTrigger
from gates.policies import requirements_resolve
from gates.selectors import check_statuses
from projects.audit import audit_record
from projects.models import Project
from projects.permissions import SYSTEM_RECORDERS, require_system

from .models import (
    ACTIVE_STATES,
    LevelChangeRequest,
    ProjectRisk,
    RequestKind,
    RequestState,
    RiskReason,
    SwitchbackKind,
    Waiver,
)


def _latest_scheduled_run(project: Project) -> CheckRun | None:
    """The newest scheduled run with results: its own, or (a duplicate) the holder's."""
    return (
        CheckRun.objects.filter(project=project, trigger=RunTrigger.SCHEDULE)
        .filter(
            Q(status=CheckRunStatus.SUCCEEDED)
            | Q(status=CheckRunStatus.CANCELLED, duplicate_of__isnull=False)
        )
        .exclude(commit_sha="")
        .order_by("-created_at", "-pk")
        .first()
    )


def monitored_project_ids() -> list[int]:
    """Projects to assess on the beat: those monitored now and those flagged now."""
    return list(
        Project.objects.filter(
            Q(level__gte=settings.MLTRL_MONITOR_FROM_LEVEL) | Q(risk__since__isnull=False)
        ).values_list("pk", flat=True)
    )


def risk_reasons(project: Project, run: CheckRun) -> list[dict[str, Any]]:
    """The reasons ``project`` is at risk on ``run``'s commit (empty: it holds its level)."""
    reasons: list[dict[str, Any]] = []
    if project.level >= 1:
        _, requirements = requirements_resolve(
            kind=GateKind.ADVANCE, from_level=project.level - 1, to_level=project.level
        )
        keys = requirements.required_checks
        statuses = check_statuses(project=project, commit_sha=run.commit_sha, keys=keys)
        failing = [k for k in keys if statuses[k].outcome not in PASSING_OUTCOMES]
        now = timezone.now()
        waivers = Waiver.objects.filter(
            project=project, check_key__in=failing, revoked_at__isnull=True
        ).values_list("check_key", "expires_at")
        in_force = {k for k, expires in waivers if expires > now}
        expired = {k: expires for k, expires in waivers if expires <= now and k not in in_force}
        for key in failing:
            if key in in_force:
                continue
            if key in expired:
                reasons.append(
                    {
                        "kind": RiskReason.WAIVER_EXPIRED.value,
                        "check": key,
                        "text": f"The waiver of {key} expired on "
                        f"{expired[key]:%Y-%m-%d} and the check still fails.",
                    }
                )
            else:
                reasons.append(
                    {
                        "kind": RiskReason.CHECK_FAILING.value,
                        "check": key,
                        "text": f"Required check {key} fails: {statuses[key].message}"[:300],
                    }
                )
    if project.evidence_level is not None and project.evidence_level < project.level:
        reasons.append(
            {
                "kind": RiskReason.EVIDENCE_BELOW.value,
                "check": "",
                "text": f"The repository shows evidence of level {project.evidence_level}, "
                f"below the granted level {project.level}.",
            }
        )
    return reasons


def _switchback_target(project: Project) -> int:
    target = project.level - 1
    if project.evidence_level is not None:
        target = min(target, project.evidence_level)
    return max(target, project.entry_level)


def _propose_switchback(
    project: Project, reasons: list[dict], actor: Any
) -> LevelChangeRequest | None:
    """A draft switchback for the owning team, unless a request is already under way."""
    if project.level <= project.entry_level:
        return None  # nowhere to switch back to
    if LevelChangeRequest.objects.filter(project=project, state__in=ACTIVE_STATES).exists():
        return None
    from .services import request_open  # services imports followups; keep the graph acyclic

    text = "\n".join(f"- {r['text']}" for r in reasons)
    return request_open(
        project=project,
        actor=actor,
        kind=RequestKind.SWITCHBACK,
        switchback_kind=SwitchbackKind.DISCOVERY,
        to_level=_switchback_target(project),
        reason=f"Proposed by scheduled monitoring: {project.name} is at risk.\n\n{text}",
        submit=False,
    )


@transaction.atomic
def project_risk_assess(*, project_id: int, actor: Any) -> ProjectRisk | None:
    """Flag or clear ``project_id`` from its latest scheduled run (worker only).

    Returns the risk row, or None when the project was never assessed and has no
    scheduled run to assess.
    """
    require_system(actor, SYSTEM_RECORDERS, "assess projects at risk")
    project = Project.objects.select_for_update().get(pk=project_id)
    risk = ProjectRisk.objects.select_for_update().filter(project=project).first()
    monitored = project.level >= settings.MLTRL_MONITOR_FROM_LEVEL
    if risk is None and not monitored:  # nothing to flag, nothing to clear
        return None
    run = _latest_scheduled_run(project)
    reasons = risk_reasons(project, run) if (run is not None and monitored) else []
    if risk is None:
        if not reasons:
            return None
        risk = ProjectRisk(project=project)
    now = timezone.now()
    was_at_risk = risk.since is not None
    risk.assessed_at, risk.run = now, run
    if reasons:
        changed = reasons != risk.reasons
        risk.reasons = reasons
        if not was_at_risk:
            risk.since = now
            risk.proposed_request = _propose_switchback(project, reasons, actor)
        risk.save()
        if changed or not was_at_risk:
            audit_record(
                kind="project.at_risk",
                actor=actor,
                project=project,
                payload={
                    "run": run.pk,
                    "commit": run.commit_sha,
                    "reasons": reasons,
                    "since": risk.since,
                    "proposed_request": risk.proposed_request_id,
                },
            )
        return risk
    if was_at_risk:
        withdrawn = _withdraw_proposal(risk, actor)
        audit_record(
            kind="project.risk_cleared",
            actor=actor,
            project=project,
            payload={
                "run": run.pk if run else None,
                "since": risk.since,
                "withdrawn_request": withdrawn,
            },
        )
        risk.since, risk.reasons, risk.proposed_request = None, [], None
    risk.save()
    return risk


def _withdraw_proposal(risk: ProjectRisk, actor: Any) -> int | None:
    """Withdraw the proposed draft if the team left it a draft (their submitted one stays)."""
    request = risk.proposed_request
    if request is None or request.state != RequestState.DRAFT:
        return None
    from .services import request_withdraw

    request_withdraw(level_request=request, actor=actor, reason="The project is no longer at risk.")
    return request.pk
