"""The per-mirror lock, and the git lock files a killed fetch leaves behind.

Fetches of one mirror take turns through an ``flock`` on a file beside it.
The descriptor is handed down to git, so the lock is held as long as any git
process of the fetch lives; a fetch that finds it held waits. Holding it
therefore proves that no live git writes the mirror, and any ``*.lock`` file
git left there (``shallow.lock`` after a SIGKILL) is stale and removed.

Runs read the mirror without that lock, possibly a pinned commit no ref
points at any more; upkeep (``gates.mirror_upkeep``) deletes such objects. So
a run holds a shared ``flock`` on a second file beside the mirror while it
reads (``mirror_reading``), and upkeep takes both locks exclusively without
waiting (``upkeep_locked``) and skips the mirror when either is held.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .gitcli import GitError

logger = logging.getLogger(__name__)


@contextmanager
def mirror_locked(path: Path, *, wait_s: float) -> Iterator[int]:
    """One fetch at a time per mirror, across the worker processes of a host.

    An ``flock`` on a file beside the mirror; yields its descriptor, which the
    fetch hands down to git so the lock stays held while any git process of
    that fetch lives (even one whose worker was killed). A fetch that finds it
    held waits up to ``wait_s`` (a live fetch ends within its own time-out)
    instead of failing; once it holds the lock, git lock files left in the
    mirror belong to no live process and are removed (``stale_locks_remove``).
    """
    with open(path.with_suffix(".lock"), "w") as handle:
        _flock(handle, fcntl.LOCK_EX, wait_s, "Another fetch of this repository")
        try:
            stale_locks_remove(path)
            yield handle.fileno()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def mirror_reading(path: Path, *, wait_s: float) -> Iterator[None]:
    """A shared ``flock`` on ``<mirror>.readers`` while a run reads the mirror.

    Any number of runs read at once; only upkeep, which deletes objects no ref
    needs, takes it exclusively. A run that finds upkeep at work waits up to
    ``wait_s`` (upkeep's two git commands each end within the git time-out), then
    fails as ``mirror_busy``.
    """
    with open(path.with_suffix(".readers"), "w") as handle:
        _flock(handle, fcntl.LOCK_SH, wait_s, "The upkeep of this repository's mirror")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def upkeep_locked(path: Path) -> Iterator[tuple[int, int] | None]:
    """Both locks, exclusive, without waiting: yields their descriptors (to hand down
    to git), or None when a fetch or a reader holds one (upkeep then skips)."""
    with contextlib.ExitStack() as held:
        descriptors = []
        for suffix in (".lock", ".readers"):  # the fetch lock first, as fetches take it
            handle = held.enter_context(open(path.with_suffix(suffix), "w"))
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            held.callback(fcntl.flock, handle, fcntl.LOCK_UN)
            descriptors.append(handle.fileno())
        stale_locks_remove(path)
        yield descriptors[0], descriptors[1]


def _flock(handle: IO[str], mode: int, wait_s: float, holder: str) -> None:
    """``flock`` within ``wait_s``, polling (a blocking flock cannot time out)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise GitError(
                    "mirror_busy",
                    f"{holder} did not finish in time; retrying.",
                    transient=True,
                ) from None
            time.sleep(0.1)


# Lock files git creates in a bare repository while it writes; under the mirror
# lock, nothing live holds them.
_GIT_LOCK_FOLDERS = ("", "refs", "logs", "objects/info", "objects/pack")


def stale_locks_remove(mirror: Path) -> list[str]:
    """Remove ``*.lock`` files (``shallow.lock``, ``config.lock``, ref locks...) left
    in the mirror by a git that died; returns their paths relative to the mirror."""
    removed = []
    for folder in _GIT_LOCK_FOLDERS:
        base = mirror / folder
        if not base.is_dir():
            continue
        found = base.rglob("*.lock") if folder in ("refs", "logs") else base.glob("*.lock")
        for lock in found:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
                removed.append(str(lock.relative_to(mirror)))
    if removed:
        logger.warning("removed stale git lock files in %s: %s", mirror, ", ".join(removed))
    return removed
