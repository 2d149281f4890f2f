"""The steps a demo story is made of; ``demo.seeder`` plays each through the services."""

from __future__ import annotations

from dataclasses import dataclass

# Story quirks (``Story.quirks``): honest gaps in a repository that the real checks find.
NO_VV = "requirements-without-vv"  # the research requirements lack their V&V section
WIP_UNPINNED = "wip-unpinned-dependency"  # a later commit towards level 4, one pin missing
# After its last level, a commit turns prediction logging off; the scheduled monitoring
# run of the head finds it, and the project is flagged at risk (reviews/risk.py).
DRIFTED = "monitoring-drift"


@dataclass(frozen=True)
class Climb:
    """Approved advance requests, one level at a time, up to ``to``."""

    to: int


@dataclass(frozen=True)
class Entry:
    """An approved entry review registering the project at ``to``."""

    to: int
    reason: str


@dataclass(frozen=True)
class Switchback:
    to: int
    kind: str
    reason: str


@dataclass(frozen=True)
class Waived:
    """The next advance, approved after ``by`` waives the failing ``check``.

    ``check`` is one CI reports: from this step's commit on, CI posts ``failure``.
    """

    check: str
    failure: str
    by: str
    days: int
    reason: str


@dataclass(frozen=True)
class Waiting:
    """The next advance, left open: the slots of ``unsigned`` roles stay empty."""

    unsigned: tuple[str, ...]
    comment: str


@dataclass(frozen=True)
class Reject:
    by_role: str
    comment: str


@dataclass(frozen=True)
class Changes:
    """The next advance; ``by_role`` requests changes (``tasks``) in a ``comment``."""

    by_role: str
    tasks: tuple[str, ...]
    comment: str


@dataclass(frozen=True)
class Pause:
    reason: str


Step = Climb | Entry | Switchback | Waived | Waiting | Reject | Changes | Pause


def requests_in(story) -> int:
    """How many requests a story opens (its clock shares the months among them)."""
    level, count = 0, 0
    for step in story.steps:  # story: a demo.stories.Story
        match step:
            case Climb(to=to):
                count += max(0, to - level)
                level = max(level, to)
            case Entry(to=to) | Switchback(to=to):
                count += 1
                level = to
            case Waived() | Waiting() | Reject() | Changes():
                count += 1
                level += isinstance(step, Waived)
    return count
