"""The request lifecycle as one explicit transition table.

Every state change of a ``LevelChangeRequest`` goes through ``transition``,
which refuses anything not in ``TRANSITIONS``, requires the request row to be
locked by the caller's transaction, and writes the audit event in it.

    draft ──submit──▶ open ──request_changes──▶ changes_requested
      │                │  ▲                          │
      │                │  └──────resubmit / reopen───┘
      ▼                ├──approve──▶ approved        (terminal)
   withdrawn ◀─withdraw┤──reject───▶ rejected        (terminal)
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.audit import audit_record

from .models import TERMINAL_STATES, LevelChangeRequest, OpenSlot, RequestState


class Event(StrEnum):
    SUBMIT = "submit"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"  # requester says the requested changes are done
    REOPEN = "reopen"  # the last outstanding request-changes was superseded
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


S = RequestState
TRANSITIONS: dict[tuple[str, Event], str] = {
    (S.DRAFT, Event.SUBMIT): S.OPEN,
    (S.DRAFT, Event.WITHDRAW): S.WITHDRAWN,
    (S.OPEN, Event.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.OPEN, Event.APPROVE): S.APPROVED,
    (S.OPEN, Event.REJECT): S.REJECTED,
    (S.OPEN, Event.WITHDRAW): S.WITHDRAWN,
    (S.CHANGES_REQUESTED, Event.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.CHANGES_REQUESTED, Event.RESUBMIT): S.OPEN,
    (S.CHANGES_REQUESTED, Event.REOPEN): S.OPEN,
    (S.CHANGES_REQUESTED, Event.REJECT): S.REJECTED,
    (S.CHANGES_REQUESTED, Event.WITHDRAW): S.WITHDRAWN,
}


# How refusals name a state and an event, so every pair reads as a sentence:
# "Request #61 is a draft; it cannot be resubmitted."
STATE_PHRASES: dict[str, str] = {
    S.DRAFT: "is a draft",
    S.OPEN: "is open",
    S.CHANGES_REQUESTED: "has changes requested",
    S.APPROVED: "was approved and is closed",
    S.REJECTED: "was rejected and is closed",
    S.WITHDRAWN: "was withdrawn and is closed",
}
EVENT_PHRASES: dict[Event, str] = {
    Event.SUBMIT: "be submitted",
    Event.REQUEST_CHANGES: "have changes requested",
    Event.RESUBMIT: "be resubmitted",
    Event.REOPEN: "be reopened",
    Event.APPROVE: "be approved",
    Event.REJECT: "be rejected",
    Event.WITHDRAW: "be withdrawn",
}


def request_is(request: LevelChangeRequest) -> str:
    """ "Request #N is a draft", "Request #N was withdrawn and is closed", ...: the start
    of every refusal that depends on the request's state."""
    return f"Request #{request.pk} {STATE_PHRASES[request.state]}"


class TransitionError(ValidationError):
    """The event is not allowed in the request's current state."""


def allowed_events(state: str) -> list[Event]:
    return [event for (source, event) in TRANSITIONS if source == state]


def transition(
    request: LevelChangeRequest, event: Event, *, actor: Any, payload: dict | None = None
) -> LevelChangeRequest:
    """Move a locked request along ``event`` and record it; refuse illegal moves."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition must run inside the caller's transaction.")
    target = TRANSITIONS.get((request.state, event))
    if target is None:
        raise TransitionError(
            f"{request_is(request)}; it cannot {EVENT_PHRASES[event]}.",
            code="invalid_transition",
        )
    source = request.state
    request.state = target
    fields = ["state", "updated_at"]
    if target in TERMINAL_STATES:
        request.decided_at = timezone.now()
        fields.append("decided_at")
    request.save(update_fields=fields)
    if source == RequestState.OPEN and target != RequestState.OPEN:
        # The bottleneck rollup holds open requests only (reviews/open_slots.py).
        OpenSlot.objects.filter(request_id=request.pk).delete()
    audit_record(
        kind=f"request.{event.value}",
        actor=actor,
        project=request.project,
        payload={
            "request": request.pk,
            "from_state": source,
            "to_state": target,
            **(payload or {}),
        },
    )
    return request
