"""What a run reads beside the mirror, read while git fetches; then the tree's listing.

A warm run spends half its time in ``git fetch``, most of it waiting for the
server. The fact store and the listing it holds (``gates.listing``) are files
beside the mirror that do not depend on the new commit, so a helper thread
reads them meanwhile (about 4.5 ms on 5,000 files that no longer follow the
fetch). Once the commit is known, ``Preparation.result`` asks git for the
paths changed since the store's commit and lists the new tree: patched from
the stored listing when it is large enough, else with ``ls-tree``.

Listing the tree on a helper thread while the database adopts the commit was
tried too and was slower: both sides run Python, and each hand-over of the
interpreter lock can wait for the switch interval (docs/performance.md).

The helper thread never touches the database, and whatever it raises is raised
again where the engine asks for the result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .checks.facts import FactStore
from .git import ChangedPaths, Mirror, RepoSnapshot
from .listing import PATCH_MIN_ENTRIES, StoredListing, listing_load

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
        # The listing read for the store's commit, which the run's own listing
        # journal extends (``gates.listing.listing_save``); None: none was read.
        self.listing: StoredListing | None = None

    def _load(self) -> tuple[FactStore, StoredListing | None]:
        store = FactStore.load(self.mirror.facts_path)
        cap = self.mirror.limits.max_blob_bytes
        path = self.mirror.listing_path
        rows = listing_load(path, store.commit, blob_cap=cap) if store.commit else None
        return store, rows

    def result(self, snapshot: RepoSnapshot) -> tuple[FactStore, ChangedPaths | None]:
        """The fact store and git's changed paths since its commit (None: unknown), with
        ``snapshot``'s listing read (patched from the stored one when it can be)."""
        store, rows = self._stored.result()
        self.listing = rows
        changed = self.mirror.changed_paths(store.commit, snapshot.sha) if store.commit else None
        if changed is not None and rows is not None and len(rows) >= PATCH_MIN_ENTRIES:
            snapshot.patch_listing(rows, changed)  # the stored listing, patched (gates.listing)
        snapshot.entries()  # enforces the file-count cap before any check runs
        return store, changed
