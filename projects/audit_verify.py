"""Verifying the audit log: every link, every key, completeness, and the anchors.

A chain is intact when its events run 1..n without gaps, each links to the hash
before it and carries a valid HMAC of a known key, unkeyed (pre-keying) events
only come before the chain's first keyed event, and its head row agrees with its
last event. The log is complete when every project has its chain starting at its
``project.created`` event and the org chain exists once teams do. Anchors
(``projects.audit_anchor``) written outside the database catch a chain that was
cut back or rewritten as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditChain, AuditEvent, Project, Team


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    event_id: int | None
    problem: str


def _chain_project_id(key: str) -> int | None:
    from .audit import ORG_CHAIN

    if key == ORG_CHAIN:
        return None
    return int(key.split(":", 1)[1]) if key.startswith("project:") else -1


def _event_problem(key: str, event: AuditEvent, *, keyed_seen: bool) -> str | None:
    """What is wrong with one event read in chain order (its links checked by the caller)."""
    from .audit import LEGACY_KEY_ID, UnknownAuditKey, event_digest

    if event.project_id != _chain_project_id(key):
        return f"the event belongs to project {event.project_id}, not to this chain"
    if event.seq == 1 and key.startswith("project:") and event.kind != "project.created":
        return f"the chain starts with {event.kind!r}, not with 'project.created'"
    if event.key_id == LEGACY_KEY_ID and keyed_seen:
        return "an unkeyed event follows keyed ones (rehashed without the key?)"
    try:
        digest = event_digest(
            chain=event.chain,
            seq=event.seq,
            project_id=event.project_id,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            created_at=event.created_at,
            prev_hash=event.prev_hash,
            key_id=event.key_id,
        )
    except UnknownAuditKey:
        return f"signed with the unknown key id {event.key_id!r} (list it in MLTRL_AUDIT_KEYS_OLD)"
    if digest != event.hash:
        return "content does not match its hash"
    return None


def audit_verify_chain(key: str) -> ChainBreak | None:
    """Walk one chain in order; return its first broken link, or None."""
    from .audit import LEGACY_KEY_ID

    prev_hash = ""
    expected_seq = 1
    keyed_seen = False
    last: AuditEvent | None = None
    events = AuditEvent.objects.filter(chain=key).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainBreak(key, expected_seq, None, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainBreak(key, event.seq, event.pk, "prev_hash does not match the event before")
        problem = _event_problem(key, event, keyed_seen=keyed_seen)
        if problem:
            return ChainBreak(key, event.seq, event.pk, problem)
        keyed_seen = keyed_seen or event.key_id != LEGACY_KEY_ID
        prev_hash = event.hash
        expected_seq += 1
        last = event
    count = expected_seq - 1
    if last is None:
        subject = "the project's creation" if key.startswith("project:") else "its first event"
        return ChainBreak(key, 0, None, f"the chain has no events, not even {subject}")
    if not keyed_seen:
        return ChainBreak(key, last.seq, last.pk, "no keyed event seals the unkeyed ones")
    head = AuditChain.objects.filter(key=key).first()
    if head is None:
        return ChainBreak(key, count, None, "the chain has events but no head row")
    if head.last_seq != count:
        return ChainBreak(key, count, None, f"chain head says {head.last_seq} events were written")
    if head.last_hash != prev_hash:
        return ChainBreak(key, count, last.pk, "chain head's hash does not match the last event")
    return None


def expected_chains() -> set[str]:
    """The chains that must exist: one per project, and the org chain once teams exist."""
    from .audit import ORG_CHAIN

    keys = {f"project:{pk}" for pk in Project.objects.values_list("pk", flat=True)}
    if Team.objects.exists():
        keys.add(ORG_CHAIN)
    return keys


def audit_verify_all(
    *, anchors: bool = True, anchor_files: list[str] | None = None
) -> tuple[int, list[ChainBreak]]:
    """Verify every chain, completeness and (by default) the anchors.

    ``anchor_files`` adds anchor files kept elsewhere (a webhook receiver's) to
    ``MLTRL_AUDIT_ANCHOR_FILE``. Returns (chains checked, breaks found); at most
    one break per chain from the walk, plus one per anchor disagreement.
    """
    from .audit_anchor import anchor_breaks

    keys = set(AuditChain.objects.values_list("key", flat=True))
    keys |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    keys |= expected_chains()
    breaks = [b for key in sorted(keys) if (b := audit_verify_chain(key)) is not None]
    if anchors:
        breaks += anchor_breaks()
        for path in anchor_files or []:
            breaks += anchor_breaks(path, required=True)
    return len(keys), breaks
