"""Maintaining the level-stay rollup (``LevelStay``) from the level events.

``stay_open`` runs in the transaction of a level event (``project_create``,
``project_level_apply``), right after its ``audit_record``: it closes the
project's open stay at the event's time and opens one at the new level, so the
rollup commits or rolls back with the fact. ``stays_rebuild`` recomputes the
rows of some (or all) projects from their audit events, idempotently; it is
what ``manage.py rebuild_level_stays`` and the bulk seeder run, and tests
require it to equal the incremental result.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from .models import AuditEvent, LevelStay, Project

LEVEL_EVENTS = ("project.created", "level.changed")
REBUILD_BATCH = 500


def event_level(kind: str, payload: dict) -> int:
    """The level a level event puts its project at (creation: level 0)."""
    return int(payload.get("to_level", 0)) if kind == "level.changed" else 0


def stay_open(*, project: Project, event: AuditEvent) -> LevelStay:
    """Close ``project``'s open stay at ``event`` and open one at the level it records.

    Must run in the transaction that recorded ``event`` (the project locked, or
    just created by it).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("stay_open must run inside the transaction of the level change.")
    level = event_level(event.kind, event.payload)
    previous = LevelStay.objects.filter(project=project, left_at__isnull=True).first()
    reached = level
    if previous is not None:
        previous.left_at = event.created_at
        previous.save(update_fields=["left_at"])
        reached = max(previous.reached, level)
    return LevelStay.objects.create(
        project=project,
        level=level,
        reached=reached,
        entered_at=event.created_at,
        event_seq=event.seq,
    )


def _stays(events: Iterable[tuple], model: type = LevelStay) -> Iterator[LevelStay]:
    """Stays from level events ordered by (project, seq): (project_id, seq, kind, to, at).

    ``model`` is the class to build (a migration passes its historical model).
    """
    open_stay: LevelStay | None = None
    for project_id, seq, kind, to_level, at in events:
        level = int(to_level or 0) if kind == "level.changed" else 0
        if open_stay is not None and open_stay.project_id == project_id:
            open_stay.left_at = at
            reached = max(open_stay.reached, level)
        else:
            reached = level
        if open_stay is not None:
            yield open_stay
        open_stay = model(
            project_id=project_id, level=level, reached=reached, entered_at=at, event_seq=seq
        )
    if open_stay is not None:
        yield open_stay


def stays_rebuild(project_ids: Iterable[int] | None = None) -> int:
    """Recompute the stays of ``project_ids`` (default: every project) from the audit log.

    Idempotent; each batch of projects is locked (as a level change locks its
    project) while its rows are replaced, so a concurrent level change waits.
    Returns the number of stays written.
    """
    ids = list(project_ids) if project_ids is not None else None
    if ids is None:
        ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), REBUILD_BATCH):
        batch = sorted(ids[start : start + REBUILD_BATCH])
        with transaction.atomic():
            list(Project.objects.select_for_update().filter(pk__in=batch).values_list("pk"))
            LevelStay.objects.filter(project_id__in=batch).delete()
            events = (
                AuditEvent.objects.filter(project_id__in=batch, kind__in=LEVEL_EVENTS)
                .annotate(to=Cast(KT("payload__to_level"), IntegerField()))
                .order_by("project_id", "seq")
                .values_list("project_id", "seq", "kind", "to", "created_at")
            )
            rows = list(_stays(events.iterator(chunk_size=5000)))
            LevelStay.objects.bulk_create(rows, batch_size=5000)
            written += len(rows)
    return written


def _key(stay: LevelStay) -> tuple:
    s = stay
    return (s.project_id, s.event_seq, s.level, s.reached, s.entered_at, s.left_at)


def stays_differ() -> list[int]:
    """Ids of projects whose stored stays differ from those their audit events give."""
    events = (
        AuditEvent.objects.filter(project__isnull=False, kind__in=LEVEL_EVENTS)
        .annotate(to=Cast(KT("payload__to_level"), IntegerField()))
        .order_by("project_id", "seq")
        .values_list("project_id", "seq", "kind", "to", "created_at")
    )
    expected = {_key(s) for s in _stays(events.iterator(chunk_size=5000))}
    stored = {_key(s) for s in LevelStay.objects.all().iterator(chunk_size=5000)}
    return sorted({key[0] for key in expected ^ stored})
