"""The bottleneck rollup (``OpenSlot``): each open request's empty sign-off places.

``open_slots_refresh`` runs wherever a request's gate is evaluated
(``reviews.services._approve_if_gate_holds``, after every sign-off, submission,
resubmission, new commit, waiver or re-evaluation), inside that transaction,
with the request locked: the rows are replaced by the places the reviews app's
own slot matching (``reviews.evaluation.match_slots``) leaves empty, or removed
once the request is no longer open (``state_machine.transition`` removes them
on every move out of the open state, so every row is an open request's).
``open_slots_rebuild`` recomputes every open request's rows (beat,
``manage.py rebuild_open_slots``, the migration, the bulk seeder): the one change
it catches that evaluation does not see is a role grant revoked after its holder
signed, and for that one the requests the holder signed are rebuilt right after
the revocation commits (``reviews.receivers``); beat is the backstop. Idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from gates.policies import Requirements
from projects.models import Project

from .evaluation import match_slots
from .models import LevelChangeRequest, OpenSlot, RequestState
from .selectors_batch import approvals_many

REBUILD_BATCH = 500


def _rows(requests: Sequence[LevelChangeRequest], teams: dict[int, int]) -> list[OpenSlot]:
    """Empty places of ``requests`` (open, with requirements); ``teams``: request -> team id.

    Slots of the same roles and scope (a policy may list such a slot twice) are
    one row with their empty places added up.
    """
    now = timezone.now()
    approvals = approvals_many(list(requests))
    rows: dict[tuple[int, str, str], OpenSlot] = {}
    for request in requests:
        slots = Requirements.from_json(request.requirements).slots
        filled = match_slots(slots, approvals[request.pk][0], teams[request.pk])
        for slot, holders in zip(slots, filled, strict=True):
            if len(holders) >= slot.count:
                continue
            roles = " or ".join(slot.roles)
            row = rows.get((request.pk, roles, slot.scope))
            if row is None:
                rows[request.pk, roles, slot.scope] = OpenSlot(
                    request_id=request.pk,
                    project_id=request.project_id,
                    roles=roles,
                    scope=slot.scope,
                    missing=slot.count - len(holders),
                    refreshed_at=now,
                )
            else:
                row.missing += slot.count - len(holders)
    return list(rows.values())


def open_slots_refresh(request: LevelChangeRequest) -> None:
    """Replace the empty places of one locked request (none unless it is open)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("open_slots_refresh must run inside the request's transaction.")
    OpenSlot.objects.filter(request_id=request.pk).delete()
    if request.state == RequestState.OPEN:
        OpenSlot.objects.bulk_create(_rows([request], {request.pk: request.project.team_id}))


def open_slots_rebuild(request_ids: Sequence[int] | None = None) -> int:
    """Recompute the empty places of every open request (or of those of
    ``request_ids``); returns how many rows."""
    written = 0
    with transaction.atomic():
        stale = OpenSlot.objects.exclude(request__state=RequestState.OPEN)
        open_requests = LevelChangeRequest.objects.filter(state=RequestState.OPEN)
        if request_ids is not None:
            stale = stale.filter(request_id__in=list(request_ids))
            open_requests = open_requests.filter(pk__in=list(request_ids))
        stale.delete()
        ids = list(open_requests.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), REBUILD_BATCH):
        chunk = ids[start : start + REBUILD_BATCH]
        with transaction.atomic():
            # The lock order of every request service: the projects, then the requests.
            projects = LevelChangeRequest.objects.filter(pk__in=chunk).values("project_id")
            list(
                Project.objects.select_for_update()
                .filter(pk__in=projects)
                .order_by("pk")
                .values_list("pk")
            )
            batch = list(
                LevelChangeRequest.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk, state=RequestState.OPEN)
                .select_related("project")
                .order_by("pk")
            )
            OpenSlot.objects.filter(request_id__in=chunk).delete()
            rows = _rows(batch, {r.pk: r.project.team_id for r in batch})
            OpenSlot.objects.bulk_create(rows)
            written += len(rows)
    return written
