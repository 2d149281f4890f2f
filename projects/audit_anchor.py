"""Anchoring the audit chains outside the database.

Every ``MLTRL_AUDIT_ANCHOR_INTERVAL_S`` beat runs ``projects.audit_anchor``, which
appends one JSON line to ``MLTRL_AUDIT_ANCHOR_FILE``: the time, every chain's
head (sequence number and hash), the key id and an HMAC of the line with that
key. The file is opened in append mode only; keep it on storage the database
role cannot reach (docs/deployment.md). ``verify_audit`` then checks that every
anchored event still exists with the anchored hash: a chain that went backwards
(events removed, a table wiped) or was rewritten under an anchored sequence
number is reported even when the rewritten chain is internally consistent.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditChain, AuditEvent

ANCHOR_CHAIN = "anchors"  # the name breaks found in the anchor file are reported under


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def anchor_line(record: dict) -> bytes:
    """The record as written: one line of JSON (also the webhook's body)."""
    return (json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def audit_anchor_write(path: str | None = None) -> dict:
    """Append the current chain heads to the anchor file; return the record written."""
    from .audit import audit_mac

    target = Path(path or settings.MLTRL_AUDIT_ANCHOR_FILE)
    heads = {
        key: [seq, digest]
        for key, seq, digest in AuditChain.objects.order_by("key").values_list(
            "key", "last_seq", "last_hash"
        )
        if seq > 0
    }
    record = {
        "v": 1,
        "at": timezone.now().isoformat(),
        "key": settings.MLTRL_AUDIT_KEY_ID,
        "chains": heads,
    }
    record["mac"] = audit_mac(_canonical(record), key_id=record["key"])
    line = anchor_line(record).decode("ascii")
    target.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: each write lands at the end, whatever else has the file open.
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return record


def _read_anchors(path: Path) -> tuple[list[dict], list[tuple[int, str]]]:
    """The anchor records whose HMAC is valid, and (line number, problem) for the rest."""
    from .audit import UnknownAuditKey, audit_mac

    records, problems = [], []
    with path.open(encoding="ascii", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                mac = record.pop("mac")
                valid = audit_mac(_canonical(record), key_id=record["key"]) == mac
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append((number, "anchor line is not a signed anchor record"))
                continue
            except UnknownAuditKey as unknown:
                problems.append((number, f"anchor line signed with unknown key id {unknown}"))
                continue
            if not valid:
                problems.append((number, "anchor line's signature does not match (edited?)"))
                continue
            records.append(record)
    return records, problems


def anchor_breaks(path: str | None = None, *, required: bool = False) -> list:
    """Compare an anchor file with the chains; one ``ChainBreak`` per disagreement.

    The configured file may not exist yet (no beat tick so far); a file named
    explicitly (``required``) must.
    """
    from .audit_verify import ChainBreak

    target = Path(path or settings.MLTRL_AUDIT_ANCHOR_FILE)
    if not target.exists():
        if required:
            return [ChainBreak(ANCHOR_CHAIN, 0, None, f"the anchor file {target} does not exist")]
        return []
    records, problems = _read_anchors(target)
    breaks = [ChainBreak(ANCHOR_CHAIN, number, None, problem) for number, problem in problems]
    anchored: dict[str, dict[int, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for record in records:
        for key, (seq, digest) in record["chains"].items():
            anchored[key][int(seq)].add((digest, record["at"]))
    for key in sorted(anchored):
        seqs = anchored[key]
        present = dict(
            AuditEvent.objects.filter(chain=key, seq__in=list(seqs)).values_list("seq", "hash")
        )
        for seq in sorted(seqs):
            for digest, at in sorted(seqs[seq], key=lambda pair: pair[1]):
                if seq not in present:
                    problem = f"went backwards: event #{seq}, anchored at {at}, is gone"
                elif present[seq] != digest:
                    problem = (
                        f"changed under an anchor: event #{seq} differs from its anchor at {at}"
                    )
                else:
                    continue
                breaks.append(ChainBreak(key, seq, None, problem))
                break
    return breaks
