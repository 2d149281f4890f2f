"""Gate policies: publishing versions and resolving what a request must meet.

A request stores the ``Requirements`` resolved when it was opened, so later
policy edits never change the rules of a request already under review.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from projects.actors import system_actor
from projects.audit import audit_record
from projects.permissions import SYSTEM_POLICY_ADMINS, require_admin

from .models import GateKind, GatePolicy, GatePolicyVersion


def advance_key(from_level: int) -> str:
    return f"{from_level}-{from_level + 1}"


def policy_snapshot(policy: GatePolicy) -> dict[str, Any]:
    """The policy as plain data (what a version freezes)."""
    return {
        "key": policy.key,
        "kind": policy.kind,
        "title": policy.title,
        "slots": [
            {
                "roles": sorted(r.key for r in slot.roles.all()),
                "count": slot.count,
                "scope": slot.scope,
            }
            for slot in policy.slots.prefetch_related("roles").order_by("pk")
        ],
        "required_checks": list(policy.required_checks),
        "required_card_sections": list(policy.required_card_sections),
        "waiver_roles": sorted(r.key for r in policy.waiver_roles.all()),
        "stale_approvals_on_new_commit": policy.stale_approvals_on_new_commit,
        "block_above_components": policy.block_above_components,
    }


def policy_slots_problem(slots: list[dict[str, Any]]) -> str | None:
    """Why a policy's slots cannot gate anything, or None when they can.

    Every gate and switchback needs at least one slot asking for at least one
    approval; a slot of count 0 or with no role would let a request through
    with no sign-off at all.
    """
    if not any(slot["count"] >= 1 for slot in slots):
        return "A gate policy needs at least one slot asking for at least one approval."
    for slot in slots:
        if slot["count"] < 1:
            return "Every slot must ask for at least 1 approval; remove the slot instead."
        if not slot["roles"]:
            return "Every slot must name at least one role."
    return None


@transaction.atomic
def policy_publish(*, policy: GatePolicy, actor: Any) -> GatePolicyVersion:
    """Freeze the policy as a new version unless it equals the latest one.

    Administrators only; a policy whose slots would approve with no sign-off is
    refused (``policy_slots_problem``).
    """
    policy = GatePolicy.objects.select_for_update().get(pk=policy.pk)
    require_admin(actor, "publish gate policies", system=SYSTEM_POLICY_ADMINS)
    snapshot = policy_snapshot(policy)
    problem = policy_slots_problem(snapshot["slots"])
    if problem:
        raise ValidationError(f"{policy.key}: {problem}")
    latest = policy.versions.order_by("-number").first()
    if latest is not None and latest.snapshot == snapshot:
        return latest
    number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = GatePolicyVersion.objects.create(
        policy=policy, number=number, snapshot=snapshot, created_by=actor
    )
    audit_record(
        kind="policy.published", actor=actor, payload={"policy": policy.key, "version": number}
    )
    return version


def policy_current_version(policy: GatePolicy) -> GatePolicyVersion:
    """The newest version; a policy never published yet is published as an install step."""
    version = policy.versions.order_by("-number").first()
    if version is not None:
        return version
    return policy_publish(policy=policy, actor=system_actor("migrate"))


@dataclass(frozen=True)
class Slot:
    roles: tuple[str, ...]
    count: int
    scope: str


@dataclass(frozen=True)
class Requirements:
    """What a request must meet: from its gate's policy plus cumulative checks."""

    gate: str
    policy_version: int
    slots: tuple[Slot, ...]
    required_checks: tuple[str, ...]
    required_card_sections: tuple[str, ...]
    waiver_roles: tuple[str, ...]
    stale_approvals_on_new_commit: bool
    block_above_components: bool
    check_policy_versions: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Requirements:
        return cls(
            gate=data["gate"],
            policy_version=data["policy_version"],
            slots=tuple(Slot(tuple(s["roles"]), s["count"], s["scope"]) for s in data["slots"]),
            required_checks=tuple(data["required_checks"]),
            required_card_sections=tuple(data["required_card_sections"]),
            waiver_roles=tuple(data["waiver_roles"]),
            stale_approvals_on_new_commit=data["stale_approvals_on_new_commit"],
            block_above_components=data["block_above_components"],
            check_policy_versions=dict(data.get("check_policy_versions", {})),
        )


def policy_by_key(key: str) -> GatePolicy:
    try:
        return GatePolicy.objects.get(key=key)
    except GatePolicy.DoesNotExist:
        raise ValidationError(
            f"No gate policy {key!r} is configured; an administrator must create it."
        ) from None


def requirements_resolve(
    *, kind: str, from_level: int, to_level: int
) -> tuple[GatePolicyVersion, Requirements]:
    """Resolve the gate's current policy version and the cumulative checks and sections.

    Advance N -> N+1 and entry at L need the checks and card sections of every
    advance gate up to the target level; a switchback needs only its sign-offs.
    """
    if kind == GateKind.ADVANCE:
        gate = policy_by_key(advance_key(from_level))
    elif kind in (GateKind.ENTRY, GateKind.SWITCHBACK):
        gate = policy_by_key(kind)
    else:
        raise ValidationError(f"Unknown request kind {kind!r}.")
    version = policy_current_version(gate)
    snap = version.snapshot
    checks: list[str] = []
    sections: list[str] = []
    versions: dict[str, int] = {}
    if kind != GateKind.SWITCHBACK:
        for level in range(to_level):
            step = policy_by_key(advance_key(level))
            step_version = policy_current_version(step)
            versions[step.key] = step_version.number
            checks += [c for c in step_version.snapshot["required_checks"] if c not in checks]
            sections += [
                s for s in step_version.snapshot["required_card_sections"] if s not in sections
            ]
    checks += [c for c in snap["required_checks"] if c not in checks]
    sections += [s for s in snap["required_card_sections"] if s not in sections]
    return version, Requirements(
        gate=gate.key,
        policy_version=version.number,
        slots=tuple(Slot(tuple(s["roles"]), s["count"], s["scope"]) for s in snap["slots"]),
        required_checks=tuple(checks),
        required_card_sections=tuple(sections),
        waiver_roles=tuple(snap["waiver_roles"]),
        stale_approvals_on_new_commit=snap["stale_approvals_on_new_commit"],
        block_above_components=snap["block_above_components"],
        check_policy_versions=versions,
    )
