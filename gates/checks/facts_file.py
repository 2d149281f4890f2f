"""The fact store on disk: a full file, and a small journal of changes beside it.

A warm run after one commit computes the facts of a handful of blobs and lets
as many go; writing the whole store again for that (0.7 MB of JSON on 5,000
files, about 10 ms) was the largest write of such a run. So the store is two
files beside the mirror:

- ``<key>.facts.json``, the full store, written whole now and then, with a
  random ``generation``;
- ``<key>.facts.json.journal``: every fact added and every key dropped since
  that generation (cumulative: each journal replaces the one before), and the
  current memos (``checks``, ``states``, ``commit``), which are small.

A reader applies the journal only when it names the full file's generation, so
a journal beside a newer full file (two workers on one mirror, or a crash
between the two writes) is ignored, never misapplied: the store is a cache, and
a lost journal only means reading those blobs again. Both files are replaced
atomically. Once the journal holds more than ``JOURNAL_SHARE`` of the store's
entries (and at least ``JOURNAL_MIN``), or the two files together would pass
the store's size cap, the store is written whole with a new generation and the
journal removed.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STORE_FORMAT = 3
JOURNAL_MIN = 512  # entries a journal may always hold before the store is written whole
JOURNAL_SHARE = 0.1  # ... or this share of the store's entries, if more

Facts = dict[str, dict[str, Any]]  # extractor -> "<sha>:<path>" -> fact


@dataclass
class Stored:
    """What was read: the full file with its journal applied, and that journal."""

    facts: Facts
    checks: dict[str, Any]
    states: dict[str, Any]
    commit: str | None
    generation: str
    base_bytes: int
    journal_added: Facts = field(default_factory=dict)
    journal_dropped: dict[str, set[str]] = field(default_factory=dict)


def journal_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.journal")


def _read_json(path: Path) -> tuple[dict, int] | None:
    try:
        raw = path.read_bytes()
        body = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("format") != STORE_FORMAT:
        return None
    return body, len(raw)


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def stored_read(path: Path) -> Stored | None:
    """The store at ``path`` with its journal applied; None when missing or unusable."""
    found = _read_json(path)
    if found is None:
        return None
    body, size = found
    generation, facts = body.get("generation"), body.get("facts")
    if not isinstance(generation, str) or not isinstance(facts, dict):
        return None
    if not all(isinstance(entries, dict) for entries in facts.values()):
        return None
    stored = Stored(
        facts,
        _mapping(body.get("checks")),
        _mapping(body.get("states")),
        body.get("commit") if isinstance(body.get("commit"), str) else None,
        generation,
        size,
    )
    journal = _read_json(journal_path(path))
    if journal is not None and journal[0].get("generation") == generation:
        _apply(stored, journal[0])
    return stored


def _apply(stored: Stored, journal: dict) -> None:
    """Apply a journal of ``stored``'s generation to it (ignored if malformed)."""
    added, dropped = journal.get("added"), journal.get("dropped")
    if not isinstance(added, dict) or not isinstance(dropped, dict):
        return
    if not all(isinstance(v, dict) for v in added.values()):
        return
    if not all(isinstance(v, list) for v in dropped.values()):
        return
    for extractor, keys in dropped.items():
        entries = stored.facts.get(extractor, {})
        for key in keys:
            entries.pop(key, None)
    for extractor, entries in added.items():
        stored.facts.setdefault(extractor, {}).update(entries)
    stored.journal_added = {extractor: dict(entries) for extractor, entries in added.items()}
    stored.journal_dropped = {extractor: set(keys) for extractor, keys in dropped.items()}
    stored.checks = _mapping(journal.get("checks"))
    stored.states = _mapping(journal.get("states"))
    commit = journal.get("commit")
    stored.commit = commit if isinstance(commit, str) else None


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def journal_write(
    path: Path,
    stored: Stored,
    added: Facts,
    dropped: dict[str, list[str]],
    memos: dict[str, Any],
    max_bytes: int | None,
) -> int | None:
    """Write the journal of ``stored``'s generation with this run's ``added`` facts and
    ``dropped`` keys folded in; None (nothing written) when the store should be
    written whole instead. Returns the bytes of both files."""
    all_added = {extractor: dict(entries) for extractor, entries in stored.journal_added.items()}
    all_dropped = {extractor: set(keys) for extractor, keys in stored.journal_dropped.items()}
    for extractor, keys in dropped.items():
        journal_added = all_added.get(extractor, {})
        for key in keys:
            if key in journal_added:  # added since the full file: forget it
                del journal_added[key]
            else:
                all_dropped.setdefault(extractor, set()).add(key)
    for extractor, entries in added.items():
        all_added.setdefault(extractor, {}).update(entries)
        if extractor in all_dropped:  # dropped earlier, computed again
            all_dropped[extractor].difference_update(entries)
    changes = sum(map(len, all_added.values())) + sum(map(len, all_dropped.values()))
    entries = sum(map(len, stored.facts.values()))
    if changes > max(JOURNAL_MIN, JOURNAL_SHARE * entries):
        return None
    body = {
        "format": STORE_FORMAT,
        "generation": stored.generation,
        "added": {extractor: entries for extractor, entries in all_added.items() if entries},
        "dropped": {extractor: sorted(keys) for extractor, keys in all_dropped.items() if keys},
        **memos,
    }
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    if max_bytes is not None and stored.base_bytes + len(data) > max_bytes:
        return None
    _replace(journal_path(path), data)
    return stored.base_bytes + len(data)


def store_write(
    path: Path, facts: Facts, used: Facts, memos: dict[str, Any], max_bytes: int | None
) -> int:
    """Write the whole store with a new generation and remove the journal.

    ``facts``: everything to keep; when that is over ``max_bytes``, only ``used``
    (this run's facts); when even that is, nothing. Returns the bytes written.
    """
    header = {"format": STORE_FORMAT, "generation": secrets.token_hex(8)}
    candidates = (
        {**header, "facts": facts, **memos},
        {**header, "facts": used, **memos},
        {**header, "facts": {}, "checks": {}},
    )
    for body in candidates:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        if max_bytes is None or len(data) <= max_bytes:
            break
    _replace(path, data)
    journal_path(path).unlink(missing_ok=True)
    return len(data)
