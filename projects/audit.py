"""Writing and verifying the hash-chained audit log.

``audit_record`` must run inside the transaction of the change it records, so the
event and the change commit or roll back together.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import AuditChain, AuditEvent, Project

ORG_CHAIN = "org"


def chain_key(project: Project | None) -> str:
    return f"project:{project.pk}" if project is not None else ORG_CHAIN


def event_digest(
    *,
    chain: str,
    seq: int,
    project_id: int | None,
    kind: str,
    actor_id: int | None,
    payload: dict,
    created_at: datetime,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON form of the event and the previous hash."""
    body = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "project": project_id,
            "kind": kind,
            "actor": actor_id,
            "payload": payload,
            "created_at": created_at.astimezone(UTC).isoformat(),
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def audit_record(
    *,
    kind: str,
    actor: Any = None,
    project: Project | None = None,
    payload: dict | None = None,
) -> AuditEvent:
    """Append one event to the project's chain (or the org chain) under a lock."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change.")
    key = chain_key(project)
    AuditChain.objects.get_or_create(key=key)
    head = AuditChain.objects.select_for_update().get(key=key)
    payload = json.loads(json.dumps(payload or {}, default=str))
    created_at = timezone.now()
    seq = head.last_seq + 1
    actor_id = getattr(actor, "pk", None)
    digest = event_digest(
        chain=key,
        seq=seq,
        project_id=project.pk if project else None,
        kind=kind,
        actor_id=actor_id,
        payload=payload,
        created_at=created_at,
        prev_hash=head.last_hash,
    )
    event = AuditEvent.objects.create(
        chain=key,
        seq=seq,
        project=project,
        kind=kind,
        actor_id=actor_id,
        payload=payload,
        created_at=created_at,
        prev_hash=head.last_hash,
        hash=digest,
    )
    AuditChain.objects.filter(key=key).update(last_seq=seq, last_hash=digest)
    return event


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    problem: str


def audit_verify_chain(key: str) -> ChainBreak | None:
    """Walk one chain in order; return its first broken link, or None."""
    prev_hash = ""
    expected_seq = 1
    events = AuditEvent.objects.filter(chain=key).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainBreak(key, expected_seq, None, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainBreak(key, event.seq, event.pk, "prev_hash does not match the event before")
        digest = event_digest(
            chain=event.chain,
            seq=event.seq,
            project_id=event.project_id,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            created_at=event.created_at,
            prev_hash=event.prev_hash,
        )
        if digest != event.hash:
            return ChainBreak(key, event.seq, event.pk, "content does not match its hash")
        prev_hash = event.hash
        expected_seq += 1
    head = AuditChain.objects.filter(key=key).first()
    if head is not None and head.last_seq != expected_seq - 1:
        return ChainBreak(
            key, expected_seq - 1, None, f"chain head says {head.last_seq} events were written"
        )
    return None


def audit_verify_all() -> tuple[int, list[ChainBreak]]:
    """Verify every chain; return (chains checked, breaks found)."""
    keys = set(AuditChain.objects.values_list("key", flat=True))
    keys |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    breaks = [b for key in sorted(keys) if (b := audit_verify_chain(key)) is not None]
    return len(keys), breaks
