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
rows), one per mirror, replaced atomically. A listing of another commit than
the one the changes start from, or written under another blob cap (a blob with no size
might since have been fetched), or one that cannot be read, is ignored: the
run lists the tree with ``ls-tree`` as before.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .git import ChangedPaths, TreeEntry

FORMAT = 1
Row = tuple[str, str, str, "int | None"]  # path, mode, blob (or commit) SHA, size
BLOB_MODES = ("100644", "100755", "120000")  # sizes ls-tree -l shows; "160000": none
# Below this many entries ``ls-tree`` (about 2 ms on 25 files) is cheaper than the
# ``cat-file --batch-check`` a patch needs for new blobs' sizes (docs/performance.md).
PATCH_MIN_ENTRIES = 2_000


def listing_save(path: Path, commit: str, entries: Iterable[TreeEntry], *, blob_cap: int) -> None:
    """Keep ``entries`` (a tree's, in git's order) as the listing of ``commit``, fetched
    under ``blob_cap`` (which blobs have no size depends on it)."""
    entries = list(entries)
    body = {
        "format": FORMAT,
        "commit": commit,
        "blob_cap": blob_cap,
        "paths": [e.path for e in entries],  # non-UTF-8 names: escaped surrogates
        "modes": [e.mode for e in entries],
        "shas": [e._sha for e in entries],
        "sizes": [e._size for e in entries],
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(body, separators=(",", ":")), encoding="ascii")
        os.replace(tmp, path)
    except OSError:  # a cache: the next run lists the tree itself
        tmp.unlink(missing_ok=True)


def listing_load(path: Path, commit: str, *, blob_cap: int) -> list[Row] | None:
    """The rows kept for ``commit``; None when there are none, for another commit or
    blob cap, or in another format."""
    try:
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        return None
    if body.get("commit") != commit or body.get("blob_cap") != blob_cap:
        return None
    columns = [body.get(name) for name in ("paths", "modes", "shas", "sizes")]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        return None
    return list(zip(*columns, strict=True))


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
