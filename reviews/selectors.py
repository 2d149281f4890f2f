"""Read-only queries over requests, sign-offs and waivers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from gates.policies import Requirements
from gates.selectors import check_statuses
from projects.models import Membership, MLTRLCard, RoleGrant
from projects.permissions import Action, projects_for

from .evaluation import Approval, ChangeRequest, GateFacts, GateVerdict, gate_evaluate
from .models import Decision, LevelChangeRequest, SignOff, Waiver


def requests_for(user: Any, action: Action = Action.VIEW) -> QuerySet[LevelChangeRequest]:
    """Requests on projects the user may see (the permission entry point decides)."""
    return LevelChangeRequest.objects.filter(project__in=projects_for(user, action))


def waivers_valid(project_id: int, *, at=None) -> QuerySet[Waiver]:
    at = at or timezone.now()
    return Waiver.objects.filter(project_id=project_id, revoked_at__isnull=True, expires_at__gt=at)


def request_requirements(request: LevelChangeRequest) -> Requirements:
    return Requirements.from_json(request.requirements)


def signoff_is_independent(*, project_team_id: int, grant_team_id: int, reviewer_id: int) -> bool:
    """Independent: signed in a team other than the owner by someone not in the owning team."""
    if grant_team_id == project_team_id:
        return False
    return not Membership.objects.filter(team_id=project_team_id, user_id=reviewer_id).exists()


def request_gate_facts(
    request: LevelChangeRequest, *, extra: list[Approval] | None = None
) -> GateFacts:
    """Everything ``gate_evaluate`` needs, in a fixed number of queries."""
    project = request.project
    reqs = request_requirements(request)
    active = list(
        SignOff.objects.filter(request=request, active=True).select_related("reviewer", "role")
    )
    held = set(
        RoleGrant.objects.filter(user_id__in={s.reviewer_id for s in active}).values_list(
            "user_id", "role_id", "team_id"
        )
    )
    # An approval counts while its reviewer still holds that role in that team.
    approvals = [
        Approval(s.pk, s.reviewer.get_username(), s.role.key, s.team_id, s.independent)
        for s in active
        if s.decision == Decision.APPROVE
        and not s.stale
        and (s.reviewer_id, s.role_id, s.team_id) in held
    ]
    changes = [
        ChangeRequest(s.reviewer.get_username(), tuple(s.tasks))
        for s in active
        if s.decision == Decision.REQUEST_CHANGES
    ]
    checks = check_statuses(
        project=project, commit_sha=request.commit_sha, keys=reqs.required_checks
    )
    waived = frozenset(
        waivers_valid(project.pk)
        .filter(check_key__in=reqs.required_checks)
        .values_list("check_key", flat=True)
    )
    empty_sections: list[str] = []
    if reqs.required_card_sections:
        card = MLTRLCard.objects.get(project=project)
        empty_sections = [
            s for s in reqs.required_card_sections if not getattr(card, s, "").strip()
        ]
    below: list[tuple[str, int]] = []
    if request.to_level > request.from_level:
        below = list(
            project.components.filter(level__lt=request.to_level)
            .order_by("slug")
            .values_list("slug", "level")
        )
    return GateFacts(
        requirements=reqs,
        owning_team_id=project.team_id,
        approvals=[*approvals, *(extra or [])],
        outstanding_changes=changes,
        checks=checks,
        waived_checks=waived,
        empty_card_sections=empty_sections,
        components_below=below,
        to_level=request.to_level,
    )


def request_verdict(request: LevelChangeRequest) -> GateVerdict:
    """What the gate says now: approved, or the list of what is still missing."""
    return gate_evaluate(request_gate_facts(request))
