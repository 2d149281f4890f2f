"""The dashboard's filters, read from the query string (every page and export shares them).

``team`` (slug, repeatable), ``phase`` (research, prototyping, productization,
deployment), ``level_min``/``level_max`` (0-9), ``status`` (active, paused,
retired), ``days`` (time window for events: 1-3650, default 90). A bad value is a
``ValidationError`` with a sentence; the views answer it with 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from projects.levels import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL, Phase
from projects.models import ProjectStatus

DEFAULT_DAYS = 90
# The time windows the form offers; any 1-3650 is valid, and the view adds the current one.
WINDOWS = (7, 30, 90, 180, 365, 730)


@dataclass(frozen=True)
class Filters:
    teams: tuple[str, ...] = ()
    phase: str = ""
    level_min: int = LOWEST_LEVEL
    level_max: int = HIGHEST_LEVEL
    status: str = ""
    days: int = DEFAULT_DAYS
    # Looked up at each call (not bound at import), so tests can set the clock.
    now: datetime = field(default_factory=lambda: timezone.now(), compare=False)

    @property
    def since(self) -> datetime:
        return self.now - timedelta(days=self.days)

    def levels(self) -> list[int]:
        """The levels the filters admit (level range and phase together)."""
        return [
            info.number
            for info in LEVELS
            if self.level_min <= info.number <= self.level_max
            and (not self.phase or info.phase == self.phase)
        ]

    def _levels_in(self) -> list[int]:
        """``levels()`` for an ``__in`` lookup. A phase outside the level range admits
        none; ``level__in=[]`` would make the raw-SQL tables fail to compile
        (``EmptyResultSet``), so it becomes a level no project holds."""
        return self.levels() or [-1]

    def all_levels(self) -> bool:
        """True when the level range and phase admit every level (no level filter needed)."""
        return len(self.levels()) == len(LEVELS)

    def projects(self, qs: QuerySet) -> QuerySet:
        """Narrow a queryset of projects (already scoped by permission) to the filters.

        Every level admitted adds no condition: the scope of an organisation-wide
        viewer without filters stays unconditioned, which ``in_scope`` skips.
        """
        if self.teams:
            qs = qs.filter(team__slug__in=self.teams)
        if self.status:
            qs = qs.filter(status=self.status)
        return qs if self.all_levels() else qs.filter(level__in=self._levels_in())

    def project_q(self, prefix: str) -> Q:
        """The same narrowing as a Q over a relation (``prefix`` like ``"project__"``)."""
        q = Q() if self.all_levels() else Q(**{f"{prefix}level__in": self._levels_in()})
        if self.teams:
            q &= Q(**{f"{prefix}team__slug__in": self.teams})
        if self.status:
            q &= Q(**{f"{prefix}status": self.status})
        return q

    @cached_property
    def _encoded(self) -> str:
        """The filters' own part of every query string (encoded once per page)."""
        pairs: list[tuple[str, object]] = [("team", t) for t in self.teams]
        for key, value, default in (
            ("phase", self.phase, ""),
            ("level_min", self.level_min, LOWEST_LEVEL),
            ("level_max", self.level_max, HIGHEST_LEVEL),
            ("status", self.status, ""),
            ("days", self.days, DEFAULT_DAYS),
        ):
            if value != default:
                pairs.append((key, value))
        return urlencode(pairs)

    def query(self, **extra: object) -> str:
        """The query string of these filters plus ``extra`` (for links and exports)."""
        more = urlencode([(k, v) for k, v in extra.items() if v is not None and v != ""])
        return "&".join(part for part in (self._encoded, more) if part)


_WHOLE = re.compile(r"-?[0-9]+")


def ascii_int(raw: str) -> int | None:
    """``raw`` as an integer if it is ASCII digits (an optional ``-``), else None.

    Neither ``str.isdigit`` nor ``int`` fits a query string: ``"²".isdigit()`` is
    true but ``int("²")`` raises, and ``int`` admits ``"٣"``, ``"1_0"`` and
    ``"+3"``. A number too long to be in any range here comes back as
    ``±10**20`` (``int`` refuses more than 4,300 digits), so callers only check
    the range.
    """
    if not _WHOLE.fullmatch(raw):
        return None
    if len(raw.lstrip("-").lstrip("0")) > 20:
        return -(10**20) if raw.startswith("-") else 10**20
    return int(raw)


def _int(params: QueryDict, key: str, default: int, low: int, high: int) -> int:
    raw = params.get(key, "").strip()
    if raw == "":
        return default
    value = ascii_int(raw)
    if value is None:
        raise ValidationError(f"{key} must be a whole number, not {raw!r}.", code=key)
    if not low <= value <= high:
        raise ValidationError(f"{key} must be between {low} and {high}, not {value}.", code=key)
    return value


def filters_parse(params: QueryDict) -> Filters:
    """Filters from a query string; a bad value raises ``ValidationError`` (a sentence,
    its ``code`` the parameter's name)."""
    for key, values in params.lists():
        if any("\x00" in value for value in values):  # PostgreSQL text cannot hold it
            raise ValidationError(f"{key} must not contain a NUL character.", code=key)
    teams = tuple(sorted({t.strip() for t in params.getlist("team") if t.strip()}))
    phase = params.get("phase", "").strip()
    if phase and phase not in Phase.values:
        raise ValidationError(
            f"phase must be one of {', '.join(Phase.values)}, not {phase!r}.", code="phase"
        )
    status = params.get("status", "").strip()
    if status and status not in ProjectStatus.values:
        raise ValidationError(
            f"status must be one of {', '.join(ProjectStatus.values)}, not {status!r}.",
            code="status",
        )
    level_min = _int(params, "level_min", LOWEST_LEVEL, LOWEST_LEVEL, HIGHEST_LEVEL)
    level_max = _int(params, "level_max", HIGHEST_LEVEL, LOWEST_LEVEL, HIGHEST_LEVEL)
    if level_min > level_max:
        raise ValidationError(
            f"level_min ({level_min}) is above level_max ({level_max}).", code="level_min"
        )
    days = _int(params, "days", DEFAULT_DAYS, 1, 3650)
    return Filters(teams, phase, level_min, level_max, status, days)


def in_scope(qs: QuerySet, scope: QuerySet, project_field: str = "project") -> QuerySet:
    """``qs`` narrowed to the rows whose ``project_field`` is a project of ``scope``.

    An unconditioned scope (every project: an organisation-wide viewer, no
    filter) adds no condition, sparing the database a join with every project;
    otherwise ``project_field__in`` a subquery of the scope's ids.
    """
    if not scope.query.where and not scope.query.is_sliced:
        return qs
    return qs.filter(**{f"{project_field}__in": scope.values("pk")})
