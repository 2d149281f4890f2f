"""Portfolio figures over projects: levels per team, funnel, evidence gaps, time in level, trend.

Each function takes the permission-scoped, filtered project queryset (``scope``)
and the ``Filters`` and returns a ``Table`` in a fixed number of queries,
whatever the number of projects: grouping and conditional counts run in the
database. The funnel, time in level and trend read the level-stay rollup
(``projects.models.LevelStay``: one row per stay of a project at a level,
written in the transaction of every level change and rebuildable from the
audit log with ``manage.py rebuild_level_stays``). Percentiles use PostgreSQL's ``percentile_cont``;
on SQLite (tests, development) the same durations are fetched and the
percentile taken in Python (``tables.percentile``, the same interpolation).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.db import connection
from django.db.models import Count, F, FilteredRelation, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest

from projects.levels import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL
from projects.models import LevelStay, Team

from .filters import Filters, in_scope
from .tables import Drill, Table, percentile

LEVEL_RANGE = range(LOWEST_LEVEL, HIGHEST_LEVEL + 1)
# date_part, not extract: extract answers numeric (PostgreSQL 14+), slower to compute and sort.
EPOCH = "date_part('epoch', left_at - entered_at)"
# Raw SQL below wraps SQL compiled by the ORM (``sql_with_params``) and constants;
# every value is a bound parameter, hence the S608 exemptions.


def levels_by_team(scope: QuerySet, f: Filters) -> Table:
    """Projects at each level 0-9, one row per team (two queries).

    Grouped by the team's id (integers group faster than names), then the teams
    of the result are read once for their names and slugs.
    """
    table = Table(
        "levels",
        "Projects by level and team",
        [("team", "Team")] + [(f"l{n}", str(n)) for n in LEVEL_RANGE] + [("total", "Total")],
    )
    by_team: dict[int, dict[int, int]] = {}
    grouped = scope.values_list("team_id", "level").annotate(n=Count("*")).order_by()
    with connection.cursor() as cursor:  # ~2,000 rows: plain tuples, no ORM converters
        cursor.execute(*grouped.query.sql_with_params())
        for team_id, level, n in cursor.fetchall():
            by_team.setdefault(team_id, {})[level] = n
    names = (
        Team.objects.filter(pk__in=list(by_team)).order_by("name").values_list("pk", "slug", "name")
    )
    for team_id, slug, name in names:
        levels = by_team[team_id]
        full = {"team": name, **{f"l{n}": levels.get(n, 0) for n in LEVEL_RANGE}}
        full["total"] = sum(levels.values())
        table.add(full, partial(_team_drills, slug))
    return table


def _team_drills(slug: str) -> dict[str, Drill]:
    drill = {f"l{n}": ("projects", {"in_team": slug, "level": n}) for n in LEVEL_RANGE}
    drill["total"] = ("projects", {"in_team": slug})
    return drill


def _reached(scope: QuerySet) -> QuerySet:
    """``scope`` annotated with the highest level each project ever held.

    Read from the project's open stay in the level-stay rollup
    (``projects.models.LevelStay``, written with every level change); a project
    without stays (none recorded) counts at its current level.
    """
    return scope.annotate(
        open_stay=FilteredRelation("level_stays", condition=Q(level_stays__left_at__isnull=True)),
        reached=Greatest(
            F("level"), Coalesce(F("open_stay__reached"), Value(0)), output_field=IntegerField()
        ),
    )


def funnel(scope: QuerySet, f: Filters) -> Table:
    """How many projects ever reached each level, and the conversion from the level below."""
    table = Table(
        "funnel",
        "Readiness funnel: ever reached each level",
        [("level", "Level"), ("reached", "Projects"), ("conversion", "From level below (%)")],
        note="A project entering at level L through an entry review counts as reaching L.",
    )
    # One row per highest level held (at most ten), summed from the top down here:
    # cheaper than ten filtered counts over every project.
    at = dict(_reached(scope).values_list("reached").annotate(n=Count("*")).order_by())
    counts, running = {}, 0
    for n in reversed(LEVEL_RANGE):
        running += at.get(n, 0)
        counts[f"r{n}"] = running
    previous = None
    for n in LEVEL_RANGE:
        reached = counts[f"r{n}"]
        conversion = round(100 * reached / previous, 1) if previous else None
        table.add(
            {"level": n, "reached": reached, "conversion": conversion},
            {"reached": ("projects", {"reached": n})},
        )
        previous = reached
    return table


def reached_filter(scope: QuerySet, level: int) -> QuerySet:
    """Drill-down of the funnel: projects that ever reached ``level``."""
    return _reached(scope).filter(reached__gte=level)


GAPS = {
    "behind": ("Evidence below granted", Q(evidence_level__lt=F("level"))),
    "ahead": ("Evidence above granted", Q(evidence_level__gt=F("level"))),
    "none": ("Evidence equals granted", Q(evidence_level=F("level"))),
    "unknown": ("No evidence yet", Q(evidence_level__isnull=True)),
}


def evidence_gaps(scope: QuerySet, f: Filters) -> Table:
    """Projects whose repository shows less (or more) than their granted level (one query)."""
    table = Table(
        "evidence",
        "Evidence level against granted level",
        [("gap", "Gap"), ("projects", "Projects")],
    )
    counts = scope.aggregate(**{k: Count("pk", filter=q) for k, (_, q) in GAPS.items()})
    for key, (label, _) in GAPS.items():
        table.add({"gap": label, "projects": counts[key]}, {"projects": ("projects", {"gap": key})})
    return table


def _stays(scope: QuerySet) -> QuerySet:
    """The level stays (``LevelStay`` rollup) of the projects in ``scope``."""
    return in_scope(LevelStay.objects.all(), scope)


def _sql(qs: QuerySet) -> tuple[str, tuple]:
    sql, params = qs.query.sql_with_params()
    return f"SELECT * FROM ({sql}) AS stays", params  # noqa: S608


def time_in_level(scope: QuerySet, f: Filters) -> Table:
    """Median and 90th percentile of completed stays at each level, in days (one query).

    A stay counts once it has ended (the project moved on) within the time window.
    ``stays`` counts those stays, ``projects`` the projects they belong to (a
    project that left a level twice in the window counts once there); the
    ``projects`` number links to those projects (``level_held``).
    """
    table = Table(
        "time_in_level",
        "Time in level (days, completed stays)",
        [
            ("level", "Level"),
            ("stays", "Stays ended"),
            ("projects", "Projects"),
            ("median", "Median"),
            ("p90", "90th percentile"),
        ],
        note="Stays that ended within the window; Projects: the projects those stays belong to.",
    )
    ended = ended_stays(_stays(scope), f)
    by_level: dict[int, tuple[int, int, float | None, float | None]] = {}
    if connection.vendor == "postgresql":
        spans, params = _sql(ended.values("level", "project_id", "entered_at", "left_at"))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT level, count(*), count(DISTINCT project_id), "  # noqa: S608
                f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {EPOCH}) "
                f"FROM ({spans}) AS s GROUP BY level",
                params,
            )
            for lvl, n, projects, (med, p90) in cursor.fetchall():
                by_level[lvl] = (n, projects, float(med), float(p90))
    else:
        durations: dict[int, list[float]] = {}
        owners: dict[int, set[int]] = {}
        for lvl, project, entered, left in ended.values_list(
            "level", "project_id", "entered_at", "left_at"
        ):
            durations.setdefault(lvl, []).append((left - entered).total_seconds())
            owners.setdefault(lvl, set()).add(project)
        for lvl, values in durations.items():
            by_level[lvl] = (
                len(values),
                len(owners[lvl]),
                percentile(values, 0.5),
                percentile(values, 0.9),
            )
    for n in LEVEL_RANGE:
        stays, projects, med, p90 = by_level.get(n, (0, 0, None, None))
        table.add(
            {
                "level": n,
                "stays": stays,
                "projects": projects,
                "median": _days(med),
                "p90": _days(p90),
            },
            {"projects": ("projects", {"level_held": n})},
        )
    return table


def ended_stays(stays: QuerySet, f: Filters) -> QuerySet:
    """The level stays of ``stays`` that ended within the window (time in level, ``level_held``)."""
    return stays.filter(left_at__isnull=False, left_at__gte=f.since)


def trend(scope: QuerySet, f: Filters, weeks: int = 12) -> Table:
    """Projects at each level at the end of each of the last ``weeks`` weeks (one query)."""
    weeks = max(1, min(weeks, (f.days + 6) // 7))
    ends = [f.now - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    table = Table(
        "trend",
        "Level distribution week by week",
        [("week", "Week ending")] + [(f"l{n}", str(n)) for n in LEVEL_RANGE],
        note="From the level changes on record: the level each project held at each week's end.",
    )
    overlapping = _stays(scope).filter(
        Q(left_at__isnull=True) | Q(left_at__gt=ends[0]), entered_at__lte=ends[-1]
    )
    counts = overlapping.values("level").annotate(
        **{
            f"w{i}": Count(
                "pk", filter=Q(entered_at__lte=end) & (Q(left_at__isnull=True) | Q(left_at__gt=end))
            )
            for i, end in enumerate(ends)
        }
    )
    by_level = {row["level"]: [row[f"w{i}"] for i in range(len(ends))] for row in counts}
    for i, end in enumerate(ends):
        row = {"week": end.date().isoformat()}
        row.update({f"l{n}": by_level.get(n, [0] * len(ends))[i] for n in LEVEL_RANGE})
        table.add(row)
    return table


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)


PHASE_OF = {info.number: info.phase.label for info in LEVELS}
