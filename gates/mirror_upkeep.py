"""Keeping a project's mirror small: called by the engine once a run has ended.

Every fetch into the shallow, filtered mirror (``gates.git``) adds a pack and
a line to the ``shallow`` file, and nothing removes them (``gc.auto=0``): git
sends every ``shallow`` line with each later fetch, each pack is one more
index to search, every version of every changed file stays, and the size
cap's walk of the mirror slows until an old mirror trips the cap. So after a
run, ``mirror_upkeep`` looks at cheap signals (``upkeep_due``: packs,
``shallow`` lines beyond the branch heads, loose objects estimated from one
``objects/xx`` folder as ``git gc --auto`` does) and, when one is past its
limit, rewrites the mirror to what its branch heads need:

1. ``git pack-objects --revs --all --missing=allow-any`` writes one pack of
   the objects reachable from the refs (the heads' commits, trees and the
   blobs under the cap; ``shallow`` keeps the walk at the heads). Blobs the
   filter left out stay missing (``--missing``: never fetched, and no remote
   is configured to fetch them from), so ``ls-tree -l`` still shows ``BAD``;
2. the pack is moved into place, marked ``.promisor`` like the fetched ones,
   its index last (git sees a pack only once its index exists);
3. every other pack is deleted, its index first;
4. ``git prune --expire=now`` drops unreachable loose objects, loose objects
   that are packed, ``tmp_*`` files of killed gits, and the ``shallow`` lines
   of commits no ref reaches.

``git gc`` does not fit: without a promisor remote it fails on the missing
blobs, and with one (``-c``) it keeps every object of the promisor packs,
reachable or not, and leaves ``shallow`` as it is (git 2.39, measured).

Pruning at once is safe because upkeep holds both locks of the mirror
(``gates.mirror_lock.upkeep_locked``): the fetch lock (no git writes the
mirror) and the readers' lock (no run reads it, not even a pinned commit
that no ref points at); it never waits for them: a busy mirror is skipped and
looked at again after a later run. A killed upkeep leaves a usable mirror: at
worst a second pack with the same objects, or stray ``tmp_*`` files, both
cleaned by the next upkeep. Any failure is logged and never reaches the run,
which has ended already; a file ``<mirror>.upkeep-failed`` beside it then
keeps upkeep off that mirror for ``RETRY_AFTER_S`` (a mirror too large to
rewrite within the git time-out would otherwise cost that time after every run).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .git import GitError, Mirror
from .mirror_files import branch_heads
from .mirror_lock import upkeep_locked

logger = logging.getLogger(__name__)

MAX_PACKS = 50  # git gc --auto's gc.autoPackLimit
MAX_EXTRA_SHALLOW = 50  # shallow lines beyond the branch heads
MAX_LOOSE = 6700  # git gc --auto's gc.auto, estimated from objects/17 as git does
RETRY_AFTER_S = 3600  # after a failed upkeep (a corrupt or huge mirror): not every run


@dataclass(frozen=True)
class Signals:
    packs: int
    shallow_lines: int
    loose_estimate: int


def signals(path: Path) -> Signals:
    """What the mirror holds, read from the file system without starting git."""
    try:
        packs = sum(1 for e in os.scandir(path / "objects" / "pack") if e.name.endswith(".idx"))
    except OSError:
        packs = 0
    try:
        shallow_lines = (path / "shallow").stat().st_size // 41  # "<sha1>\n"
    except OSError:
        shallow_lines = 0
    try:
        loose = sum(1 for e in os.scandir(path / "objects" / "17") if len(e.name) >= 38)
    except OSError:
        loose = 0
    return Signals(packs, shallow_lines, loose * 256)


def upkeep_due(path: Path) -> bool:
    """True when the mirror has grown enough to be rewritten (see the module docstring)."""
    found = signals(path)
    if found.packs > MAX_PACKS or found.loose_estimate > MAX_LOOSE:
        return True
    if found.shallow_lines <= MAX_EXTRA_SHALLOW:
        return False
    heads = branch_heads(path)
    return heads is None or found.shallow_lines - len(set(heads)) > MAX_EXTRA_SHALLOW


def mirror_upkeep(mirror: Mirror, *, force: bool = False) -> bool:
    """Rewrite ``mirror`` to what its branch heads need, when due (or ``force``).

    Returns True when it did; False when not due, busy (a fetch or a reader
    holds a lock), or when git failed (logged: the run has ended already).
    """
    path = mirror.path
    failed = path.with_suffix(".upkeep-failed")
    try:
        if not (path / "HEAD").exists() or not (force or upkeep_due(path)):
            return False
        if not force and _recent(failed):
            return False
        with upkeep_locked(path) as fds:
            if fds is None:
                logger.info("mirror upkeep of %s skipped: in use", path.name)
                return False
            before = signals(path)
            started = time.monotonic()
            _rewrite(mirror, fds)
            after = signals(path)
        failed.unlink(missing_ok=True)
    except Exception as exc:  # never into the run: it has ended already
        detail = getattr(exc, "detail", "") or repr(exc)
        unexpected = not isinstance(exc, GitError | OSError)
        logger.warning("mirror upkeep of %s failed: %s", path.name, detail, exc_info=unexpected)
        with contextlib.suppress(OSError):
            failed.touch()  # tried again after RETRY_AFTER_S, not after every run
        return False
    logger.info(
        "mirror upkeep of %s: packs %d -> %d, shallow lines %d -> %d, in %.2f s",
        path.name, before.packs, after.packs, before.shallow_lines, after.shallow_lines,
        time.monotonic() - started,
    )  # fmt: skip
    return True


def _recent(marker: Path) -> bool:
    try:
        return time.time() - marker.stat().st_mtime < RETRY_AFTER_S
    except OSError:
        return False


def _rewrite(mirror: Mirror, fds: tuple[int, int]) -> None:
    pack_dir = mirror.path / "objects" / "pack"
    pack_dir.mkdir(parents=True, exist_ok=True)
    out = mirror._git(
        ["pack-objects", "--quiet", "--revs", "--all", "--reflog", "--missing=allow-any",
         "--delta-base-offset", "--non-empty", str(pack_dir / "tmp_upkeep")],
        stdin=b"", pass_fds=fds,
    )  # fmt: skip
    name = out.decode("ascii", "replace").strip()
    if not name:  # no ref: nothing reachable, nothing to keep packed; leave the mirror
        return
    kept = f"pack-{name}"
    _install(pack_dir, name)
    for stem in {file.name.partition(".")[0] for file in pack_dir.glob("pack-*")} - {kept}:
        _pack_delete(pack_dir, stem)
    mirror._git(["prune", "--expire=now"], pass_fds=fds)


def _install(pack_dir: Path, name: str) -> None:
    """Move the new pack into place (a promisor pack, like the fetched ones), index last."""
    new = {suffix: pack_dir / f"tmp_upkeep-{name}.{suffix}" for suffix in ("pack", "idx")}
    target = pack_dir / f"pack-{name}"
    if target.with_suffix(".idx").exists():  # the mirror already was this one pack
        for file in new.values():
            file.unlink(missing_ok=True)
        return
    os.replace(new["pack"], target.with_suffix(".pack"))
    target.with_suffix(".promisor").touch()
    os.replace(new["idx"], target.with_suffix(".idx"))


def _pack_delete(pack_dir: Path, stem: str) -> None:
    """Delete one pack: its index first, so git never sees a pack without its data."""
    (pack_dir / f"{stem}.idx").unlink(missing_ok=True)
    for file in pack_dir.glob(f"{stem}.*"):
        file.unlink(missing_ok=True)
