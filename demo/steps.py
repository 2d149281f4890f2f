"""The steps a demo story is made of; ``demo.seed`` plays each through the services."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """The next advance, approved after ``by`` waives the failing ``check``."""

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
    by_role: str
    tasks: tuple[str, ...]
    failing: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    reason: str


Step = Climb | Entry | Switchback | Waived | Waiting | Reject | Changes | Pause
