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
never exceeds ``MLTRL_FACTS_MAX_BYTES`` (docs/checks.md). An extractor's name
carries a version: bump it whenever what the extractor computes changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

STORE_FORMAT = 2


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
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
            return cls()
        store = cls(data.get("facts", {}), data.get("checks", {}), data.get("states", {}))
        commit = data.get("commit")
        store.commit = commit if isinstance(commit, str) and store.checks_known else None
        return store

    def save(
        self,
        path: Path,
        *,
        current: set[str] | None = None,
        max_bytes: int | None = None,
        commit: str | None = None,
    ) -> int:
        """Write what this run used, plus stored facts of blobs still reachable
        (``current``: ``"<sha>:<path>"`` keys of the run's tree and the mirror's
        branch heads), so checks whose output was reused keep their facts for
        later; every other blob drops out. Written atomically.

        ``max_bytes`` bounds the file: when the full body is larger, only this
        run's facts are kept; when even those are larger, the store is written
        empty (a cache: the next run reads every blob). ``commit``: the commit
        this run checked, which every memo in ``checks_used`` is true of.
        Returns the bytes written.
        """
        used = {extractor: dict(entries) for extractor, entries in self._used.items()}
        facts = {extractor: dict(entries) for extractor, entries in used.items()}
        if current is not None:
            for extractor, known in self._data.items():
                kept = facts.setdefault(extractor, {})
                for key, value in known.items():
                    if key in current:
                        kept.setdefault(key, value)
        memos = {"checks": self.checks_used, "states": self.states_used, "commit": commit}
        candidates = (
            {"format": STORE_FORMAT, "facts": facts, **memos},
            {"format": STORE_FORMAT, "facts": used, **memos},
            {"format": STORE_FORMAT, "facts": {}, "checks": {}},
        )
        for body in candidates:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            if max_bytes is None or len(data) <= max_bytes:
                break
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return len(data)
