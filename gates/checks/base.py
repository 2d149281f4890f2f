"""What a check is, the registry, and the read-only context a check receives.

A check is a pure function of a ``CheckContext`` (the tree of one commit, read
without a checkout, plus the repository's ``.mltrl.toml``) returning a
``CheckOutput``: an outcome, one sentence a person understands, the evidence
(paths, values, line numbers) and how to fix a failure. Checks never execute
anything from the repository and never follow symlinks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import CheckOutcome
from ..observed import note_listing, observing, replay
from .config import MltrlConfig
from .facts import FactStore


class TreeEntryLike(Protocol):
    path: str
    mode: str
    sha: str
    size: int | None

    @property
    def is_file(self) -> bool: ...

    @property
    def is_symlink(self) -> bool: ...


class SnapshotLike(Protocol):
    sha: str

    def entries(self) -> dict[str, TreeEntryLike]: ...

    def read_text(self, path: str, *, limit: int = ...) -> str | None: ...

    def iter_texts(
        self, paths: Iterable[str], *, limit: int = ...
    ) -> Iterator[tuple[str, str]]: ...

    def grep(
        self, pattern: str, *, pathspecs: Iterable[str] = ...
    ) -> Iterator[tuple[str, int, str]]: ...


@dataclass(frozen=True)
class CheckOutput:
    outcome: CheckOutcome
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str = ""


def passed(message: str, **evidence: Any) -> CheckOutput:
    return CheckOutput(CheckOutcome.PASS, message, evidence)


def failed(message: str, fix: str, **evidence: Any) -> CheckOutput:
    return CheckOutput(CheckOutcome.FAIL, message, evidence, fix)


def warned(message: str, fix: str = "", **evidence: Any) -> CheckOutput:
    return CheckOutput(CheckOutcome.WARN, message, evidence, fix)


def errored(message: str, fix: str = "", **evidence: Any) -> CheckOutput:
    return CheckOutput(CheckOutcome.ERROR, message, evidence, fix)


@dataclass
class CheckContext:
    snapshot: SnapshotLike
    config: MltrlConfig
    store: FactStore = field(default_factory=FactStore)
    # Paths changed since the commit the store's memos and states hold (a set with
    # ``old_modes``: ``gates.git.ChangedPaths``); None: unknown, compute everything.
    changes: Any = None

    _files: dict[str, TreeEntryLike] | None = field(default=None, init=False, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per run for derived data several checks share (the
        snapshot never changes during a run). Every use replays what computing it
        observed, so each check's observation (``gates.observed``) stays complete."""
        if key not in self._memo:
            with observing() as seen:
                value = compute()
            self._memo[key] = (value, seen)
        value, seen = self._memo[key]
        replay(seen)
        return value

    def files(self) -> dict[str, TreeEntryLike]:
        """Regular files only (no symlinks, no submodules), by path; computed once."""
        if self._files is None:
            self._files = {p: e for p, e in self.snapshot.entries().items() if e.is_file}
        note_listing()  # cached here, but every caller depends on the listing
        return self._files

    def find(self, pattern: str | re.Pattern[str]) -> list[str]:
        """Paths of regular files matching a regex (case-insensitive), sorted."""
        rx = re.compile(pattern, re.IGNORECASE) if isinstance(pattern, str) else pattern
        return sorted(p for p in self.files() if rx.search(p))

    def text(self, path: str) -> str | None:
        return self.snapshot.read_text(path)

    def file_facts(
        self,
        extractor: str,
        paths: Iterable[str],
        extract: Callable[[str, str], Any],
        *,
        limit: int = 1_000_000,
    ) -> dict[str, Any]:
        """``extract(path, text)`` for each file, reading only blobs not seen before."""
        files = self.files()

        def compute(missing: list[str]) -> dict[str, Any]:
            found = {p: None for p in missing}
            for path, text in self.snapshot.iter_texts(missing, limit=limit):
                found[path] = extract(path, text)
            return found

        return self.store.facts(extractor, ((p, files[p].sha) for p in paths), compute)

    def batch_facts(
        self,
        extractor: str,
        paths: Iterable[str],
        compute: Callable[[list[str]], dict[str, Any]],
    ) -> dict[str, Any]:
        """Like ``file_facts``, with one ``compute(missing_paths)`` call (e.g. a git grep)."""
        files = self.files()
        return self.store.facts(extractor, ((p, files[p].sha) for p in paths), compute)


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    level: int  # the gate that introduces it: required to leave this level
    run: Callable[[CheckContext], CheckOutput] | None  # None: reported by CI (external)
    description: str = ""

    @property
    def external(self) -> bool:
        return self.run is None


REGISTRY: dict[str, Check] = {}


def register(key: str, title: str, *, level: int, description: str = ""):
    """Decorator registering a repository check under ``key``."""

    def decorate(func: Callable[[CheckContext], CheckOutput]):
        if key in REGISTRY:
            raise ValueError(f"Check {key!r} is registered twice.")
        REGISTRY[key] = Check(key, title, level, func, description or (func.__doc__ or "").strip())
        return func

    return decorate


def register_external(key: str, title: str, *, level: int, description: str) -> None:
    """A check whose result CI posts through the API for a commit."""
    if key in REGISTRY:
        raise ValueError(f"Check {key!r} is registered twice.")
    REGISTRY[key] = Check(key, title, level, None, description)


def repository_checks() -> list[Check]:
    return sorted((c for c in REGISTRY.values() if not c.external), key=lambda c: (c.level, c.key))


def catalog_version() -> str:
    """Identifies the set of repository checks; a run is reused only for the same set."""
    names = ",".join(c.key for c in repository_checks())
    return hashlib.sha256(f"v1:{names}".encode()).hexdigest()[:16]
