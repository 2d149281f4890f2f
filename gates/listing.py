"""A run's listing kept for the next run, which patches it instead of listing again.

Listing a 5,000-file tree (``git ls-tree -r -l``: each blob's size looked up)
and turning it into entries is most of a warm run's fixed cost besides the
fetch (about 15 ms of 0.12 s, docs/performance.md). After one new commit the
tree differs in a few paths, which the engine asks git for anyway
(``Mirror.changed_paths``: ``diff-tree --raw`` gives each changed path's new
mode and blob). So each run keeps its listing beside the mirror, and the next
one applies the changes to it: removed paths go, added and modified ones take
their new mode and blob, and the new blobs' sizes come from one ``git cat-file
--batch-check`` (a blob that was never downloaded, over the blob cap, has no
size, as ``ls-tree`` shows it). A small tree (under ``PATCH_MIN_ENTRIES``) is
listed by ``ls-tree`` all the same: there the extra process costs more than the
listing it saves. The result is in git's order (paths compared
as bytes), entry for entry what ``ls-tree`` gives (tests/gates/test_listing.py
compares them after every kind of change).

The file is a cache like the fact store: JSON in columns (one list of paths,
one of modes, one of SHAs, one of sizes: a third faster to read than a list of
rows), one per mirror, replaced atomically. Like the fact store
(``gates.checks.facts_file``), a run after a small change writes only a journal
beside it: the rows of every path changed since the whole file's commit (the
journal names that commit as its ``base``; each journal replaces the one
before), written whole again once the journal passes ``JOURNAL_MIN`` paths or
``JOURNAL_SHARE`` of the tree. A listing of another commit than the one the
changes start from, a journal of another base, anything written under another
blob cap (a blob with no size might since have been fetched), or one that
cannot be read, is ignored: the run lists the tree with ``ls-tree`` as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .git import ChangedPaths, TreeEntry

FORMAT = 2
Row = tuple[str, str, str, "int | None"]  # path, mode, blob (or commit) SHA, size
BLOB_MODES = ("100644", "100755", "120000")  # sizes ls-tree -l shows; "160000": none
REMOVED = "000000"  # a journal row's mode for a path no longer in the tree
# Below this many entries ``ls-tree`` (about 2 ms on 25 files) is cheaper than the
# ``cat-file --batch-check`` a patch needs for new blobs' sizes (docs/performance.md).
PATCH_MIN_ENTRIES = 2_000
# A journal may hold this many changed paths, or this share of the tree if more,
# before the listing is written whole again.
JOURNAL_MIN = 256
JOURNAL_SHARE = 0.05
COLUMNS = ("paths", "modes", "shas", "sizes")


class StoredListing(list):
    """The rows of a stored listing (a list), with what a journal needs: the commit
    of the whole file (``base``) and the changes since it, by path (``changes``)."""

    def __init__(self, rows, base: str, changes: dict[str, Row] | None = None):
        super().__init__(rows)
        self.base = base
        self.changes = changes or {}


def journal_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.journal")


def _columns(rows: Iterable[Row]) -> dict[str, list]:
    rows = list(rows)
    return {name: [row[i] for row in rows] for i, name in enumerate(COLUMNS)}


def _write(path: Path, body: dict) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="ascii")
        os.replace(tmp, path)
    except OSError:  # a cache: the next run lists the tree itself
        tmp.unlink(missing_ok=True)


def listing_save(
    path: Path,
    commit: str,
    entries: dict[str, TreeEntry],
    *,
    blob_cap: int,
    stored: StoredListing | None = None,
    changed: ChangedPaths | None = None,
) -> None:
    """Keep ``entries`` (a tree's, by path in git's order) as the listing of ``commit``,
    fetched under ``blob_cap`` (which blobs have no size depends on it).

    With ``stored`` (the listing loaded for the commit ``changed`` starts from),
    only the changed paths are written, as a journal beside the whole file, until
    the journal grows past its limit; then the whole listing again.
    """
    if stored is not None and changed is not None:
        changes = dict(stored.changes)
        for name in changed:
            entry = entries.get(name)
            changes[name] = (
                (name, REMOVED, "", None)
                if entry is None
                else (name, entry.mode, entry._sha, entry._size)
            )
        if len(changes) <= max(JOURNAL_MIN, JOURNAL_SHARE * len(entries)):
            body = {"format": FORMAT, "base": stored.base, "commit": commit}
            _write(journal_path(path), {**body, "blob_cap": blob_cap, **_columns(changes.values())})
            return
    rows = ((e.path, e.mode, e._sha, e._size) for e in entries.values())
    _write(path, {"format": FORMAT, "commit": commit, "blob_cap": blob_cap, **_columns(rows)})
    journal_path(path).unlink(missing_ok=True)


def _read(path: Path, blob_cap: int) -> tuple[dict, list[Row]] | None:
    try:
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        return None
    if body.get("blob_cap") != blob_cap:
        return None
    columns = [body.get(name) for name in COLUMNS]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        return None
    return body, list(zip(*columns, strict=True))


def listing_load(path: Path, commit: str, *, blob_cap: int) -> StoredListing | None:
    """The rows kept for ``commit`` (the whole file's, or with its journal applied);
    None when there are none, for another commit or blob cap, or in another format."""
    found = _read(path, blob_cap)
    if found is None:
        return None
    body, rows = found
    if body.get("commit") == commit:
        return StoredListing(rows, commit)
    journal = _read(journal_path(path), blob_cap)
    if journal is None or journal[0].get("commit") != commit:
        return None
    if journal[0].get("base") != body.get("commit"):
        return None
    changes = {row[0]: row for row in journal[1]}
    return StoredListing(_rows_patched(rows, changes), body["commit"], changes)


def _rows_patched(rows: list[Row], changes: dict[str, Row]) -> list[Row]:
    """``rows`` with each changed path's row put in (or taken out), in git's order."""
    by_path = {row[0]: row for row in rows}
    added = False
    for name, row in changes.items():
        if row[1] == REMOVED:
            by_path.pop(name, None)
        else:
            added = added or name not in by_path
            by_path[name] = row
    ordered = list(by_path.values())
    if added:  # git's order: paths compared as bytes
        ordered.sort(key=lambda row: row[0].encode("utf-8", "surrogateescape"))
    return ordered


def listing_patch(
    rows: list[Row],
    changed: ChangedPaths,
    sizes: Callable[[list[str]], dict[str, int | None]],
    make: Callable[[str, str, str, int | None], TreeEntry],
) -> list[TreeEntry]:
    """``rows`` with ``changed`` applied (``changed.new``: each changed path's mode and
    SHA in the newer tree, ``"000000"`` when removed), in git's order.

    ``sizes(shas)``: the size of each new blob, None for one not in the mirror.
    """
    entries = {row[0]: row for row in rows}
    added = False
    wanted = sorted(
        {sha for mode, sha in changed.new.values() if mode in BLOB_MODES}
        - {row[2] for path in changed if (row := entries.get(path)) is not None}
    )
    known = {row[2]: row[3] for path in changed if (row := entries.get(path)) is not None}
    if wanted:
        known.update(sizes(wanted))
    for path, (mode, sha) in changed.new.items():
        if mode == "000000":
            entries.pop(path, None)
            continue
        added = added or path not in entries
        entries[path] = (path, mode, sha, known.get(sha) if mode in BLOB_MODES else None)
    ordered = entries.values()
    if added:  # git's order: paths compared as bytes
        ordered = sorted(ordered, key=lambda row: row[0].encode("utf-8", "surrogateescape"))
    return [make(*row) for row in ordered]
