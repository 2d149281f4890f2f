"""Reusing a check's previous output when nothing it observed has changed.

After one new commit most checks see exactly what they saw before: the same
list of paths, the same blobs for the files they read or measured. For each
check the engine keeps what it observed (``gates.observed``) and its output;
on the next run the output is reused only if

- the environment is the same: the check code (hash of the catalog's source),
  the repository's ``.mltrl.toml`` text and the server's size caps;
- the listing (every path and mode) is the same, when the check listed it;
- every blob it depended on is the same (same path, same blob SHA; a path that
  was absent must still be absent): one digest over exactly those blobs, whose
  paths are kept as positions in the sorted listing when the check listed it;
- or, for a check that read every file (``git grep``) or looked at every
  entry's blob (every file's size), all blobs are the same.

The memos a run saves are all true of that run's commit (each was computed or
reused there), and the store records that commit. The next run asks git which
paths differ between the two trees (``Mirror.changed_paths``: one ``diff-tree``
that skips identical subtrees) and reuses a memo when none of the changed paths
is among those it depended on: a bit test per changed path instead of a digest
over every blob the check touched (on 5,000 files, the digests cost more than
the checks they saved). When that commit is unknown or gone, the digests decide.

Error outputs are never reused. Tests compare reused and fresh outputs for the
same commit after many kinds of change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

from django.conf import settings

from .checks.base import Check, CheckOutput
from .checks.facts import FactStore
from .models import CheckOutcome
from .observed import Observation, observing


@cache
def catalog_code_hash() -> str:
    """Hash of the check catalog's source: a deploy that changes a check voids its memos."""
    folder = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    sources = [
        *(folder / "checks").glob("*.py"),
        *(folder / name for name in ("git.py", "listing.py", "observed.py", "tree_entries.py")),
    ]
    for path in sorted([*sources, Path(__file__)]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


class CheckMemo:
    def __init__(
        self,
        store: FactStore,
        entries: dict,
        config_text: str | None,
        changed: set[str] | None = None,
    ):
        """``changed``: the paths whose blob or mode differ between the commit the
        store's memos hold (``store.commit``) and this one; None when unknown."""
        self.store = store
        self.entries = entries
        self.changed = changed
        self.environment = _digest(
            [
                catalog_code_hash(),
                config_text if config_text is not None else "\0none",
                str(settings.MLTRL_GIT_MAX_BLOB_BYTES),
                str(settings.MLTRL_GIT_MAX_FILES),
            ]
        )
        store.environment = self.environment
        self._listing: str | None = None
        self._content: str | None = None
        self._paths: list[str] | None = None
        self._blobs: dict[str, str] | None = None
        self._position: dict[str, int] | None = None
        self.reused = 0

    def _blob(self, path: str) -> str:
        if self._blobs is None:
            # entry._sha: reading it here is bookkeeping, not a check observing the blob
            self._blobs = {p: f"{e.mode}:{e._sha}" for p, e in self.entries.items()}
        return self._blobs.get(path, "-")

    @property
    def listing(self) -> str:
        if self._listing is None:
            self._listing = _digest(sorted(f"{e.mode} {p}" for p, e in self.entries.items()))
        return self._listing

    @property
    def content(self) -> str:
        if self._content is None:
            self._content = _digest(sorted(f"{p} {self._blob(p)}" for p in self.entries))
        return self._content

    @property
    def sorted_paths(self) -> list[str]:
        if self._paths is None:
            self._paths = sorted(self.entries)
        return self._paths

    def _blobs_digest(self, paths: list[str]) -> str:
        self._blob("")  # builds the map once
        blobs = self._blobs
        return _digest([f"{p} {blobs.get(p, '-')}" for p in paths])

    def reuse(self, key: str) -> CheckOutput | None:
        memo = self.store.checks_known.get(key)
        if not memo or memo["environment"] != self.environment:
            return None
        if memo["listing"] is not None and memo["listing"] != self.listing:
            return None
        if self.changed is not None:
            if not self._untouched(memo, self.changed):
                return None
        else:
            if memo["content"] is not None and memo["content"] != self.content:
                return None
            if memo["indexes"] is not None:  # listing unchanged: same sorted paths
                touched = [self.sorted_paths[i] for i in _positions_decode(memo["indexes"])]
            else:
                touched = memo["paths"]
            if self._blobs_digest(touched) != memo["blobs"]:
                return None
        self.store.checks_used[key] = memo
        if key in self.store.states_known:  # nothing it saw changed: still true
            self.store.states_used[key] = self.store.states_known[key]
        self.reused += 1
        out = memo["output"]
        outcome = CheckOutcome(out["outcome"])
        return CheckOutput(outcome, out["message"], out["evidence"], out["fix"])

    def _untouched(self, memo: dict, changed: set[str]) -> bool:
        """None of the changed paths is one the memo's check depended on."""
        if not changed:
            return True
        if memo["content"] is not None:  # it read every file
            return False
        if memo["indexes"] is not None:  # the listing is unchanged (checked first)
            bits = bytes.fromhex(memo["indexes"])
            position = self._positions()
            for path in changed:
                i = position.get(path)
                if i is None or (i >> 3 < len(bits) and bits[i >> 3] >> (i & 7) & 1):
                    return False
            return True
        return changed.isdisjoint(memo["paths"])

    def remember(self, key: str, seen: Observation, output: CheckOutput) -> None:
        if output.outcome == CheckOutcome.ERROR:
            return
        # A check that looked at every entry's blob (sizes of all files) depends on as
        # much as one that read every file: one content digest says it, instead of a
        # digest over each path and a bitmap of them all (3 ms on 5,000 files).
        everything = seen.all_content or (
            len(seen.touched) >= len(self.entries) and self.entries.keys() <= seen.touched
        )
        touched = [] if everything else sorted(seen.touched)
        indexes = None
        if seen.listed and not everything:
            # Compact: positions in the sorted listing, which a reuse requires unchanged.
            position = self._positions()
            if all(p in position for p in touched):
                indexes = _positions_encode([position[p] for p in touched], len(position))
        # all_content: one digest of everything says it all (no paths kept)
        self.store.checks_used[key] = {
            "environment": self.environment,
            "listing": self.listing if seen.listed else None,
            "content": self.content if everything else None,
            "indexes": indexes,
            "paths": touched if indexes is None else None,
            "blobs": self._blobs_digest(touched),
            "output": {
                "outcome": output.outcome.value,
                "message": output.message,
                "evidence": output.evidence,
                "fix": output.fix,
            },
        }

    def current_blob_keys(self) -> set[str]:
        """The fact-store keys of every blob in this tree (see FactStore.save)."""
        return {f"{e._sha}:{p}" for p, e in self.entries.items()}

    def _positions(self) -> dict[str, int]:
        if self._position is None:
            self._position = {p: i for i, p in enumerate(self.sorted_paths)}
        return self._position


def _positions_encode(positions: list[int], size: int) -> str:
    """Positions in the listing as a hex bitmap (5,000 files: 1,250 characters)."""
    bits = bytearray((size + 7) // 8)
    for i in positions:
        bits[i >> 3] |= 1 << (i & 7)
    return bits.hex()


def _positions_decode(encoded: str) -> list[int]:
    return [
        (byte_index << 3) + bit
        for byte_index, byte in enumerate(bytes.fromhex(encoded))
        if byte
        for bit in range(8)
        if byte >> bit & 1
    ]


def outputs_memoized(
    checks: Iterable[Check],
    memo: CheckMemo,
    run: Callable[[Check], CheckOutput],
) -> Iterator[tuple[Check, CheckOutput]]:
    """Each check's output: reused when nothing it observed changed, else ``run``."""
    for check in checks:
        output = memo.reuse(check.key)
        if output is None:
            with observing() as seen:
                output = run(check)
            memo.remember(check.key, seen, output)
        yield check, output
