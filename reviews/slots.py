"""Which role and team a reviewer signs as: the grant that fills the most slot places."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import RoleGrant

from .evaluation import Approval, match_slots, slot_accepts
from .models import Decision, LevelChangeRequest
from .selectors import request_gate_facts, request_requirements, signoff_is_independent


def _eligible_grants(request: LevelChangeRequest, reviewer: Any) -> list[RoleGrant]:
    teams = [request.project.team_id, *request.project.reviewer_teams.values_list("pk", flat=True)]
    return list(
        RoleGrant.objects.filter(user=reviewer, team_id__in=teams)
        .select_related("role", "team")
        .order_by("team_id", "role__key")
    )


def signing_grant_choose(
    request: LevelChangeRequest,
    reviewer: Any,
    decision: str,
    role_key: str | None,
    team_slug: str | None,
) -> tuple[RoleGrant, bool]:
    """Pick the (role, team) the reviewer signs as; the one that fills most slot places."""
    reqs = request_requirements(request)
    owner_id = request.project.team_id
    grants = _eligible_grants(request, reviewer)
    if not grants:
        raise PermissionDenied(
            "You hold no review role in the owning or reviewing teams of this project."
        )
    if role_key:
        grants = [g for g in grants if g.role.key == role_key]
    if team_slug:
        grants = [g for g in grants if g.team.slug == team_slug]
    needed = sorted({r for slot in reqs.slots for r in slot.roles})
    candidates = []
    for grant in grants:
        independent = signoff_is_independent(
            project_team_id=owner_id, grant_team_id=grant.team_id, reviewer_id=reviewer.pk
        )
        probe = Approval(0, reviewer.get_username(), grant.role.key, grant.team_id, independent)
        if any(slot_accepts(probe, slot, owner_id) for slot in reqs.slots):
            candidates.append((grant, independent, probe))
    if not candidates:
        asked = f" as {role_key}" if role_key else ""
        raise ValidationError(
            f"You cannot sign this gate{asked}: it needs "
            + "; ".join(
                f"{s.count} x {' or '.join(s.roles)} ({s.scope.replace('_', ' ')})"
                for s in reqs.slots
            )
            + f". Roles it counts: {', '.join(needed)}."
        )
    if decision != Decision.APPROVE or len(candidates) == 1:
        grant, independent, _ = candidates[0]
        return grant, independent
    facts = request_gate_facts(request)
    others = [a for a in facts.approvals if a.reviewer != reviewer.get_username()]

    def places_filled(probe: Approval) -> int:
        return sum(len(f) for f in match_slots(reqs.slots, [*others, probe], owner_id))

    grant, independent, _ = max(candidates, key=lambda c: places_filled(c[2]))
    return grant, independent
