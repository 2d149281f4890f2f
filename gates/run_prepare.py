"""What a run reads beside the mirror, read while it waits for the network and the database.

A warm run spends half its time in ``git fetch``, most of it waiting for the
server, and then a few milliseconds in the database deciding whether the new
commit is already checked (``_adopt_commit``). Neither needs the fact store,
the stored listing or the new tree's listing, and none of those needs the
database; so each is read on a helper thread meanwhile:

- during the fetch: the fact store and the listing it holds (``gates.listing``),
  files beside the mirror that do not depend on the new commit;
- once the commit is known, during the database's work: git's changed paths
  since the store's commit and the new tree's listing (patched, or ``ls-tree``).

The helper threads never touch the database. An exception on one (a tree over
the file cap, a git time-out) is raised again, unchanged, where the engine asks
for the result, so a run fails exactly as it did when it read them itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .checks.facts import FactStore
from .git import ChangedPaths, Mirror, RepoSnapshot
from .listing import PATCH_MIN_ENTRIES, Row, listing_load

T = TypeVar("T")


class _Background(Generic[T]):
    """``function()`` on a daemon thread; ``result()`` waits and returns or raises."""

    def __init__(self, function: Callable[[], T], name: str):
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(function,), name=name, daemon=True)
        self._thread.start()

    def _run(self, function: Callable[[], T]) -> None:
        try:
            self._value = function()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


class Preparation:
    """Started before the fetch; ``result(snapshot)`` once the commit is known."""

    def __init__(self, mirror: Mirror):
        self.mirror = mirror
        self._stored = _Background(self._load, "run-stored")

    def _load(self) -> tuple[FactStore, list[Row] | None]:
        store = FactStore.load(self.mirror.facts_path)
        cap = self.mirror.limits.max_blob_bytes
        path = self.mirror.listing_path
        rows = listing_load(path, store.commit, blob_cap=cap) if store.commit else None
        return store, rows

    def result(self, snapshot: RepoSnapshot) -> tuple[FactStore, ChangedPaths | None]:
        """The fact store and git's changed paths since its commit (None: unknown), with
        ``snapshot``'s listing read (patched from the stored one when it can be)."""
        store, rows = self._stored.result()
        changed = self.mirror.changed_paths(store.commit, snapshot.sha) if store.commit else None
        if changed is not None and rows is not None and len(rows) >= PATCH_MIN_ENTRIES:
            snapshot.patch_listing(rows, changed)  # the stored listing, patched (gates.listing)
        snapshot.entries()  # enforces the file-count cap before any check runs
        return store, changed
