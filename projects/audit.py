"""Writing the keyed, hash-chained audit log.

``audit_record`` must run inside the transaction of the change it records, so the
event and the change commit or roll back together. Each event's hash is an
HMAC-SHA256, keyed with ``MLTRL_AUDIT_KEY`` (a secret the database never holds),
over a canonical JSON form of the event and the previous event's hash: whoever
can rewrite the tables still cannot recompute a valid chain. Each event records
the id of the key that signed it, so keys can be rotated (docs/deployment.md).

Events written before keying existed carry an empty key id and a plain SHA-256;
migration ``projects/0004`` sealed every such chain with a keyed event, and
``projects.audit_verify`` accepts unkeyed events only before that seal.
Verification lives in ``projects.audit_verify``, anchoring in ``projects.audit_anchor``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuditChain, AuditEvent, Project

ORG_CHAIN = "org"
LEGACY_KEY_ID = ""  # events hashed with plain SHA-256, before the chain was keyed


class UnknownAuditKey(LookupError):
    """An event names a key id that is neither current nor listed as an old key."""


def chain_key(project: Project | None) -> str:
    return f"project:{project.pk}" if project is not None else ORG_CHAIN


def audit_keyring() -> dict[str, str]:
    """Every key that may verify an event: the old ones and the current one."""
    return {**settings.MLTRL_AUDIT_KEYS_OLD, settings.MLTRL_AUDIT_KEY_ID: settings.MLTRL_AUDIT_KEY}


def audit_mac(body: bytes, *, key_id: str) -> str:
    """HMAC-SHA256 of ``body`` with the key named ``key_id``."""
    key = audit_keyring().get(key_id)
    if key is None:
        raise UnknownAuditKey(key_id)
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


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
    key_id: str,
) -> str:
    """The event's hash: HMAC-SHA256 with the key ``key_id`` over its canonical JSON.

    ``key_id=""`` gives the plain SHA-256 of events written before keying (the
    body then has no ``key`` member, exactly as those events were hashed).
    """
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "project": project_id,
        "kind": kind,
        "actor": actor_id,
        "payload": payload,
        "created_at": created_at.astimezone(UTC).isoformat(),
        "prev": prev_hash,
    }
    if key_id != LEGACY_KEY_ID:
        fields["key"] = key_id
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    if key_id == LEGACY_KEY_ID:
        return hashlib.sha256(body.encode("ascii")).hexdigest()
    return audit_mac(body.encode("ascii"), key_id=key_id)


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
    head = AuditChain.objects.select_for_update().filter(key=key).first()
    if head is None:  # the chain's first event
        AuditChain.objects.get_or_create(key=key)
        head = AuditChain.objects.select_for_update().get(key=key)
    payload = json.loads(json.dumps(payload or {}, default=str))
    created_at = timezone.now()
    seq = head.last_seq + 1
    actor_id = getattr(actor, "pk", None)
    key_id = settings.MLTRL_AUDIT_KEY_ID
    digest = event_digest(
        chain=key,
        seq=seq,
        project_id=project.pk if project else None,
        kind=kind,
        actor_id=actor_id,
        payload=payload,
        created_at=created_at,
        prev_hash=head.last_hash,
        key_id=key_id,
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
        key_id=key_id,
    )
    AuditChain.objects.filter(key=key).update(last_seq=seq, last_hash=digest)
    return event


# Re-exported: callers and tests verify through ``projects.audit``.
from .audit_verify import ChainBreak, audit_verify_all, audit_verify_chain  # noqa: E402

__all__ = [
    "ORG_CHAIN",
    "ChainBreak",
    "audit_keyring",
    "audit_mac",
    "audit_record",
    "audit_verify_all",
    "audit_verify_chain",
    "chain_key",
    "event_digest",
]
