"""Per-blob facts, kept between runs so a warm run reads only what changed.

Checks that read file contents reduce each file to small JSON "facts" (the
secret findings in it, its number of test functions, its prediction-logging
setting). Facts depend only on the file's path and content, so they are keyed
by (extractor, path, blob SHA): a run after one new commit finds every other
file's facts here and reads one blob instead of thousands. Reusing facts can
never change a result; it only skips reading the same bytes twice.

The engine keeps one store per repository next to its mirror (a cache: when it
is lost or unreadable, the run simply reads everything). It is bounded: only
blobs of the run's tree and of the mirror's branch heads stay, and the file
never exceeds ``MLTRL_FACTS_MAX_BYTES`` (docs/checks.md). Saving usually writes
only a small journal of what changed (``gates.checks.facts_file``). An
extractor's name carries a version: bump it whenever what the extractor computes
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .facts_file import Stored, journal_write, store_write, stored_read


class FactStore:
    def __init__(
        self,
        data: dict[str, dict[str, Any]] | None = None,
        checks: dict[str, Any] | None = None,
        states: dict[str, Any] | None = None,
    ):
        self._data = data or {}
        self._used: dict[str, dict[str, Any]] = {}
        # Per-check memos (``gates.check_memo``): what a check observed, and its output.
        self.checks_known: dict[str, Any] = checks or {}
        self.checks_used: dict[str, Any] = {}
        # Per-check incremental state (e.g. the secret scan's findings by path), each
        # {"environment": ..., "state": ...}, true of ``commit`` like the memos.
        self.states_known: dict[str, Any] = states or {}
        self.states_used: dict[str, Any] = {}
        # Set by ``gates.check_memo.CheckMemo``: the run's environment digest.
        self.environment: str | None = None
        # The commit the stored memos are true of (``gates.check_memo``); None: unknown.
        self.commit: str | None = None
        self.hits = 0
        self.misses = 0
        self._stored: Stored | None = None  # what load() read, for a journal on save

    @staticmethod
    def _key(path: str, sha: str) -> str:
        return f"{sha}:{path}"

    def facts(
        self,
        extractor: str,
        items: Iterable[tuple[str, str]],
        compute: Callable[[list[str]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Facts for each (path, blob sha); ``compute(paths)`` fills the ones not stored.

        ``compute`` must return facts for every path it is given (``None`` is a
        fact too: "nothing here").
        """
        known = self._data.get(extractor, {})
        used = self._used.setdefault(extractor, {})
        result: dict[str, Any] = {}
        missing: dict[str, str] = {}
        for path, sha in items:
            key = self._key(path, sha)
            if key in used:  # computed or looked up earlier in this run
                result[path] = used[key]
            elif key in known:
                result[path] = used[key] = known[key]
                self.hits += 1
            else:
                missing[path] = key
        if missing:
            computed = compute(sorted(missing))
            for path, key in missing.items():
                result[path] = used[key] = computed.get(path)
            self.misses += len(missing)
        return result

    def previous_state(self, key: str) -> Any | None:
        """The state ``key`` kept on the commit the memos hold, if its environment
        (check code, config, caps) is this run's; None otherwise."""
        entry = self.states_known.get(key)
        if not entry or self.environment is None or entry.get("environment") != self.environment:
            return None
        return entry.get("state")

    def keep_state(self, key: str, state: Any) -> None:
        """Keep ``state`` (JSON) for the next run; true of this run's commit."""
        self.states_used[key] = {"environment": self.environment, "state": state}

    @classmethod
    def load(cls, path: Path) -> FactStore:
        """The store written at ``path`` and its journal (``gates.checks.facts_file``);
        empty when missing, unreadable or in another format."""
        stored = stored_read(path)
        if stored is None:
            return cls()
        store = cls(stored.facts, stored.checks, stored.states)
        store.commit = stored.commit if store.checks_known else None
        store._stored = stored
        return store

    def save(
        self,
        path: Path,
        *,
        current: set[str] | None = None,
        max_bytes: int | None = None,
        commit: str | None = None,
    ) -> int:
        """Keep what this run used, plus stored facts of blobs still reachable
        (``current``: ``"<sha>:<path>"`` keys of the run's tree and the mirror's
        branch heads; None: only what this run used), so checks whose output was
        reused keep their facts for later; every other blob drops out.

        Usually only the difference from the stored file is written, as a small
        journal beside it; the whole store is written again when the journal
        grows, or when the store was not read from ``path`` (``gates.checks.facts_file``).
        ``max_bytes`` bounds the files together: when the full store is larger,
        only this run's facts are kept; when even those are larger, the store is
        written empty (a cache: the next run reads every blob). ``commit``: the
        commit this run checked, which every memo in ``checks_used`` is true of.
        Returns the bytes the store takes on disk.
        """
        memos = {"checks": self.checks_used, "states": self.states_used, "commit": commit}
        if self._stored is not None:
            added, dropped = self._difference(current)
            written = journal_write(path, self._stored, added, dropped, memos, max_bytes)
            if written is not None:
                return written
        return store_write(path, self._kept(current), self._used, memos, max_bytes)

    def _difference(self, current: set[str] | None) -> tuple[dict, dict]:
        """Facts this run computed that were not stored, and stored keys that go."""
        added: dict[str, dict[str, Any]] = {}
        dropped: dict[str, list[str]] = {}
        for extractor, used in self._used.items():
            known = self._data.get(extractor, {})
            new = {key: value for key, value in used.items() if key not in known}
            if new:
                added[extractor] = new
        for extractor, known in self._data.items():
            used = self._used.get(extractor, {})
            gone = [k for k in known if k not in used and (current is None or k not in current)]
            if gone:
                dropped[extractor] = gone
        return added, dropped

    def _kept(self, current: set[str] | None) -> dict[str, dict[str, Any]]:
        """Every fact the store keeps: this run's, and stored ones still in ``current``."""
        facts: dict[str, dict[str, Any]] = {}
        for extractor in {*self._data, *self._used}:
            known = self._data.get(extractor, {})
            kept = {k: v for k, v in known.items() if k in current} if current else {}
            kept.update(self._used.get(extractor, {}))
            if kept:
                facts[extractor] = kept
        return facts
