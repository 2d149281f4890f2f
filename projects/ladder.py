"""The level ladder of a project page: one rung per level, 0-9, as plain data.

Pure: it takes the numbers a selector already loaded, so the page pays no query
for it and tests can build any combination.
"""

from __future__ import annotations

from dataclasses import dataclass

from .levels import LEVELS, Phase


@dataclass(frozen=True)
class Rung:
    number: int
    name: str
    phase: str
    passed: bool  # at or below the granted level, at or above the entry level
    granted: bool  # the granted level itself
    evidence: bool  # the evidence level (required checks pass up to here)
    system: bool  # the system level, when coupled components hold it lower
    entry: bool  # the level the project entered at
    below_entry: bool  # never passed through: the project entered above it


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]
    phases: tuple[tuple[str, int], ...]  # (phase label, number of rungs), in order
    level: int
    evidence_level: int | None
    system_level: int
    entry_level: int
    limited_by: tuple[str, ...]

    @property
    def evidence_gap(self) -> int:
        """Evidence minus granted: above 0 the checks support a higher level than granted."""
        return 0 if self.evidence_level is None else self.evidence_level - self.level


def ladder_build(
    *,
    level: int,
    evidence_level: int | None,
    system_level: int,
    entry_level: int,
    limited_by: tuple[str, ...] = (),
) -> Ladder:
    """Every rung 0-9 marked with what holds there for this project."""
    rungs = tuple(
        Rung(
            number=info.number,
            name=info.name,
            phase=info.phase.label,
            passed=entry_level <= info.number <= level,
            granted=info.number == level,
            evidence=evidence_level is not None and info.number == evidence_level,
            system=system_level < level and info.number == system_level,
            entry=info.number == entry_level,
            below_entry=info.number < entry_level,
        )
        for info in LEVELS
    )
    phases = tuple(
        (phase.label, sum(1 for info in LEVELS if info.phase == phase)) for phase in Phase
    )
    return Ladder(
        rungs, phases, level, evidence_level, system_level, entry_level, tuple(limited_by)
    )
