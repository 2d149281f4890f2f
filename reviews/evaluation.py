"""Gate evaluation: a pure function from the facts of a request to a verdict.

No database access here: ``reviews.selectors.request_gate_facts`` gathers the
facts, this module decides. Each unmet item becomes one sentence a person can
act on, so the review page, the API and the tests all show the same reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gates.models import PASSING_OUTCOMES, SlotScope
from gates.policies import Requirements, Slot
from gates.selectors import CheckStatus


@dataclass(frozen=True)
class Approval:
    signoff_id: int
    reviewer: str
    role: str
    team_id: int
    independent: bool


@dataclass(frozen=True)
class ChangeRequest:
    reviewer: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class GateFacts:
    requirements: Requirements
    owning_team_id: int
    approvals: Sequence[Approval] = ()
    outstanding_changes: Sequence[ChangeRequest] = ()
    checks: dict[str, CheckStatus] = field(default_factory=dict)
    waived_checks: frozenset[str] = frozenset()
    empty_card_sections: Sequence[str] = ()
    components_below: Sequence[tuple[str, int]] = ()  # (slug, level) under the target level
    to_level: int = 0


@dataclass(frozen=True)
class SlotStatus:
    slot: Slot
    filled_by: tuple[str, ...]

    @property
    def missing(self) -> int:
        return self.slot.count - len(self.filled_by)


@dataclass(frozen=True)
class GateVerdict:
    approved: bool
    missing: tuple[str, ...]
    warnings: tuple[str, ...]
    slots: tuple[SlotStatus, ...]


def slot_accepts(approval: Approval, slot: Slot, owning_team_id: int) -> bool:
    if approval.role not in slot.roles:
        return False
    if slot.scope == SlotScope.INDEPENDENT:
        return approval.independent
    if slot.scope == SlotScope.OWNING_TEAM:
        return approval.team_id == owning_team_id
    return True


def match_slots(
    slots: Sequence[Slot], approvals: Sequence[Approval], owning_team_id: int
) -> list[list[Approval]]:
    """Assign approvals to slot places, one place per approval, as many places as possible.

    A maximum bipartite matching (augmenting paths): a reviewer who could fill
    either of two slots is placed where nobody else can stand in.
    """
    places = [index for index, slot in enumerate(slots) for _ in range(slot.count)]
    holder: list[int | None] = [None] * len(places)  # place -> approval index

    def place(a: int, seen: set[int]) -> bool:
        for p, slot_index in enumerate(places):
            if p in seen or not slot_accepts(approvals[a], slots[slot_index], owning_team_id):
                continue
            seen.add(p)
            current = holder[p]
            if current is None or place(current, seen):
                holder[p] = a
                return True
        return False

    for a in range(len(approvals)):
        place(a, set())
    filled: list[list[Approval]] = [[] for _ in slots]
    for p, a in enumerate(holder):
        if a is not None:
            filled[places[p]].append(approvals[a])
    return filled


def describe_slot(slot: Slot) -> str:
    roles = " or ".join(slot.roles)
    scope = {
        SlotScope.INDEPENDENT: " from outside the owning team",
        SlotScope.OWNING_TEAM: " from the owning team",
    }.get(slot.scope, "")
    return f"{roles}{scope}"


def gate_evaluate(facts: GateFacts) -> GateVerdict:
    """Approved when every slot is filled, no change request is outstanding, every
    required check passes or is waived, and every required card section is written."""
    req = facts.requirements
    missing: list[str] = []
    warnings: list[str] = []
    filled = match_slots(req.slots, facts.approvals, facts.owning_team_id)
    slot_statuses = tuple(
        SlotStatus(slot, tuple(a.reviewer for a in people))
        for slot, people in zip(req.slots, filled, strict=True)
    )
    for status in slot_statuses:
        if status.missing > 0:
            plural = "s" if status.missing > 1 else ""
            missing.append(
                f"Needs {status.missing} more approval{plural} from {describe_slot(status.slot)}."
            )
    if not any(slot.count >= 1 for slot in req.slots):
        # Versions published before slots were validated: never approve unsigned.
        missing.append(
            "The gate's policy asks for no sign-off; an administrator must give it a slot."
        )
    for change in facts.outstanding_changes:
        tasks = "; ".join(t.rstrip(".") for t in change.tasks) or "see their comment"
        missing.append(f"{change.reviewer} requested changes: {tasks}.")
    for key in req.required_checks:
        status = facts.checks.get(key)
        outcome = status.outcome if status else None
        if outcome in PASSING_OUTCOMES:
            if outcome == "warn":
                warnings.append(f"Check {key} passed with a warning: {status.message}")
            continue
        if key in facts.waived_checks:
            warnings.append(f"Check {key} is waived.")
            continue
        if outcome is None:
            detail = status.message if status else "No result yet."
            missing.append(f"Check {key} has no result: {detail}")
        else:
            missing.append(f"Check {key} {outcome}s: {status.message}")
    for section in facts.empty_card_sections:
        missing.append(f"The MLTRL card section {section!r} is empty.")
    for slug, level in facts.components_below:
        message = (
            f"Coupled component {slug} is at level {level}, below the requested "
            f"level {facts.to_level}."
        )
        (missing if req.block_above_components else warnings).append(message)
    return GateVerdict(not missing, tuple(missing), tuple(warnings), slot_statuses)
