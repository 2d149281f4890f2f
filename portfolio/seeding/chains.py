"""The audit chains of bulk projects, hashed as ``projects.audit`` hashes them.

Each project's events (its history and its check runs') are sorted by time and
chained with ``projects.audit.event_digest`` under the current key, so
``manage.py verify_audit`` accepts them.
"""

from __future__ import annotations

from django.conf import settings

from projects.audit import chain_key, event_digest
from projects.models import AuditChain, AuditEvent

from .history import BATCH, Event, Plan


def audit_chains_write(plans: list[Plan], extra: dict[int, list[Event]]) -> int:
    """Hash each project's events into its chain (key id of the current key)."""
    key_id = settings.MLTRL_AUDIT_KEY_ID
    rows, chains = [], []
    for plan in plans:
        project = plan.project
        key = chain_key(project)
        events = sorted(plan.events + extra.get(project.pk, []), key=lambda e: e.at)
        prev = ""
        for seq, event in enumerate(events, start=1):
            payload = dict(event.payload)
            if "request_ref" in payload:
                payload["request"] = plan.requests[payload.pop("request_ref")].pk
            digest = event_digest(
                chain=key,
                seq=seq,
                project_id=project.pk,
                kind=event.kind,
                actor_id=event.actor_id,
                payload=payload,
                created_at=event.at,
                prev_hash=prev,
                key_id=key_id,
            )
            rows.append(
                AuditEvent(
                    chain=key,
                    seq=seq,
                    project=project,
                    kind=event.kind,
                    actor_id=event.actor_id,
                    payload=payload,
                    created_at=event.at,
                    prev_hash=prev,
                    hash=digest,
                    key_id=key_id,
                )
            )
            prev = digest
        chains.append(AuditChain(key=key, last_seq=len(events), last_hash=prev))
    for start in range(0, len(rows), BATCH * 5):
        AuditEvent.objects.bulk_create(rows[start : start + BATCH * 5])
    AuditChain.objects.bulk_create(chains)
    return len(rows)
