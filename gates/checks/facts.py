"""Per-blob facts, kept between runs so a warm run reads only what changed.

Checks that read file contents reduce each file to small JSON "facts" (the
secret findings in it, its number of test functions, its prediction-logging
setting). Facts depend only on the file's path and content, so they are keyed
by (extractor, path, blob SHA): a run after one new commit finds every other
file's facts here and reads one blob instead of thousands. Reusing facts can
never change a result; it only skips reading the same bytes twice.

The engine keeps one store per repository next to its mirror (a cache: when it
is lost or unreadable, the run simply reads everything). An extractor's name
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
    ):
        self._data = data or {}
        self._used: dict[str, dict[str, Any]] = {}
        # Per-check memos (``gates.check_memo``): what a check observed, and its output.
        self.checks_known: dict[str, Any] = checks or {}
        self.checks_used: dict[str, Any] = {}
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

    @classmethod
    def load(cls, path: Path) -> FactStore:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
            return cls()
        return cls(data.get("facts", {}), data.get("checks", {}))

    def save(self, path: Path, *, current: set[str] | None = None) -> None:
        """Write what this run used, plus stored facts of blobs still in the tree
        (``current``: ``"<sha>:<path>"`` keys), so checks whose output was reused
        keep their facts for later; older blobs drop out. Written atomically."""
        facts = {extractor: dict(used) for extractor, used in self._used.items()}
        if current is not None:
            for extractor, known in self._data.items():
                kept = facts.setdefault(extractor, {})
                for key, value in known.items():
                    if key in current:
                        kept.setdefault(key, value)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        body = {"format": STORE_FORMAT, "facts": facts, "checks": self.checks_used}
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, path)
