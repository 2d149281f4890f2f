"""Waivers: a role the gate names accepts a failing check for a while, on the record.

``waivers_expiring_announce`` (beat, hourly) records ``waiver.expiring`` once for each
waiver in force that expires within ``MLTRL_WAIVER_EXPIRING_HOURS``; the webhooks
app reports it to subscribers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gates.models import GateKind
from gates.policies import Requirements, requirements_resolve
from projects.audit import audit_record
from projects.levels import HIGHEST_LEVEL
from projects.models import Project, RoleGrant
from projects.permissions import SYSTEM_RECORDERS, Action, require, require_system

from .models import ACTIVE_STATES, LevelChangeRequest, Waiver
from .selectors import request_requirements
from .services import _approve_if_gate_holds

MAX_WAIVER_DAYS = 366


def _waiver_context(project: Project) -> tuple[LevelChangeRequest | None, Requirements]:
    """The request under way (if any) and the requirements waivers are granted against:
    that request's, or else those of the project's next advance gate."""
    active = (
        LevelChangeRequest.objects.select_for_update()
        .filter(project=project, state__in=ACTIVE_STATES)
        .first()
    )
    if active is not None:
        return active, request_requirements(active)
    if project.level >= HIGHEST_LEVEL:
        return None, requirements_resolve(
            kind=GateKind.ADVANCE, from_level=project.level - 1, to_level=project.level
        )[1]
    return None, requirements_resolve(
        kind=GateKind.ADVANCE, from_level=project.level, to_level=project.level + 1
    )[1]


@transaction.atomic
def waiver_grant(
    *,
    project: Project,
    check_key: str,
    actor: Any,
    reason: str,
    expires_at: datetime,
    role: str | None = None,
) -> Waiver:
    """Waive ``check_key`` on ``project`` until ``expires_at``; re-evaluate the open request."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.WAIVE, project)
    reason = (reason or "").strip()
    if not check_key:
        raise ValidationError("Name the check to waive.")
    if not reason:
        raise ValidationError("A waiver needs a reason.")
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError("A waiver's expiry date must be in the future.")
    if expires_at > now + timedelta(days=MAX_WAIVER_DAYS):
        raise ValidationError(f"A waiver may last at most {MAX_WAIVER_DAYS} days.")
    request, requirements = _waiver_context(project)
    allowed_roles = requirements.waiver_roles
    if request is not None and actor.pk == request.requester_id:
        raise PermissionDenied(
            "You opened the request under way; someone else must waive its checks."
        )
    if check_key not in requirements.required_checks:
        where = f"Request #{request.pk}" if request is not None else f"The {requirements.gate} gate"
        listed = ", ".join(requirements.required_checks) or "none"
        raise ValidationError(
            f"{where} does not require a check {check_key!r}; its checks are: {listed}."
        )
    teams = [project.team_id, *project.reviewer_teams.values_list("pk", flat=True)]
    held = RoleGrant.objects.filter(
        user=actor, team_id__in=teams, role__key__in=allowed_roles
    ).select_related("role")
    if role:
        held = held.filter(role__key=role)
    grant = held.order_by("role__key").first()
    if grant is None:
        raise PermissionDenied(
            "Waivers at this gate can be granted by: "
            + (", ".join(allowed_roles) or "nobody (the policy names no waiver role)")
            + "."
        )
    waiver = Waiver.objects.create(
        project=project,
        check_key=check_key,
        request=request,
        granted_by=actor,
        role=grant.role,
        reason=reason,
        expires_at=expires_at,
    )
    audit_record(
        kind="waiver.granted",
        actor=actor,
        project=project,
        payload={
            "waiver": waiver.pk,
            "check": check_key,
            "role": grant.role.key,
            "expires_at": expires_at.isoformat(),
            "request": request.pk if request else None,
        },
    )
    if request is not None:
        request.project = project
        _approve_if_gate_holds(request, actor=actor)
    return waiver


@transaction.atomic
def waiver_revoke(*, waiver: Waiver, actor: Any) -> Waiver:
    """Revoke a waiver: its granter, or a holder of a role that may waive at the gate."""
    project = Project.objects.select_for_update().get(pk=waiver.project_id)
    waiver = Waiver.objects.select_for_update().get(pk=waiver.pk)
    require(actor, Action.WAIVE, project)
    if waiver.revoked_at is not None:
        raise ValidationError("This waiver was already revoked.")
    if actor.pk != waiver.granted_by_id:
        allowed_roles = _waiver_context(project)[1].waiver_roles
        teams = [project.team_id, *project.reviewer_teams.values_list("pk", flat=True)]
        if not RoleGrant.objects.filter(
            user=actor, team_id__in=teams, role__key__in=allowed_roles
        ).exists():
            raise PermissionDenied(
                "Only the person who granted this waiver, or a holder of a role that may "
                "waive at this gate (" + (", ".join(allowed_roles) or "none") + "), can revoke it."
            )
    waiver.revoked_at = timezone.now()
    waiver.revoked_by = actor
    waiver.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        kind="waiver.revoked",
        actor=actor,
        project=project,
        payload={"waiver": waiver.pk, "check": waiver.check_key},
    )
    return waiver


def waivers_expiring_announce(*, actor: Any, now: datetime | None = None) -> int:
    """Record ``waiver.expiring`` once per waiver in force that expires soon (worker only).

    Each waiver is announced in its own transaction under its project's lock, so
    one failing project does not hold back the others. Returns how many.
    """
    require_system(actor, SYSTEM_RECORDERS, "announce expiring waivers")
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.MLTRL_WAIVER_EXPIRING_HOURS)
    due = Waiver.objects.filter(
        revoked_at__isnull=True,
        expiry_announced_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=horizon,
    ).values_list("pk", "project_id")
    announced = 0
    for waiver_id, project_id in list(due):
        with transaction.atomic():
            project = Project.objects.select_for_update().get(pk=project_id)
            waiver = (
                Waiver.objects.select_for_update()
                .filter(pk=waiver_id, expiry_announced_at__isnull=True, revoked_at__isnull=True)
                .first()
            )
            if waiver is None:
                continue
            waiver.expiry_announced_at = now
            waiver.save(update_fields=["expiry_announced_at"])
            audit_record(
                kind="waiver.expiring",
                actor=actor,
                project=project,
                payload={
                    "waiver": waiver.pk,
                    "check": waiver.check_key,
                    "expires_at": waiver.expires_at.isoformat(),
                },
            )
            announced += 1
    return announced
