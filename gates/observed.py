"""What a check observed of a snapshot, so its result can be reused when none of it changed.

While a check runs inside ``observing()``, the snapshot records: whether the
check listed the tree (paths and modes), every path whose blob it depended on
(its content was read, or its ``sha``/``size`` was looked at), and whether it
read every file's content (``git grep`` over the tree). A check is a pure
function of exactly these (plus the repository's config and the check code),
so ``gates.check_memo`` may return its previous output when all of them are
the same on a new commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Observation:
    listed: bool = False
    touched: set[str] = field(default_factory=set)
    all_content: bool = False


_current: ContextVar[Observation | None] = ContextVar("mltrl_observation", default=None)


@contextmanager
def observing() -> Iterator[Observation]:
    observation = Observation()
    token = _current.set(observation)
    try:
        yield observation
    finally:
        _current.reset(token)


def note_listing() -> None:
    observation = _current.get()
    if observation is not None:
        observation.listed = True


def note_blob(path: str) -> None:
    observation = _current.get()
    if observation is not None:
        observation.touched.add(path)


def note_blobs(paths: Iterable[str]) -> None:
    observation = _current.get()
    if observation is not None:
        observation.touched.update(paths)


def note_all_content() -> None:
    observation = _current.get()
    if observation is not None:
        observation.all_content = True


def replay(seen: Observation) -> None:
    """Note, for the running check, everything an earlier computation observed."""
    observation = _current.get()
    if observation is not None:
        observation.listed |= seen.listed
        observation.touched |= seen.touched
        observation.all_content |= seen.all_content
