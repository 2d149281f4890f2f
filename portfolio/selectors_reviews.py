"""Portfolio figures over requests, sign-offs, waivers and check results.

Each function takes the permission-scoped, filtered project queryset and the
``Filters`` and returns a ``Table`` in a fixed number of queries. Who an open
request waits on is decided by the reviews app's own slot matching
(``reviews.evaluation.match_slots``), stored per request in the ``OpenSlot``
rollup (``reviews/open_slots.py``), so the bottleneck view agrees with the
review page.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from functools import partial

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware

from gates.models import PASSING_OUTCOMES, CheckOutcome, CheckResult, CheckRunStatus
from projects.models import Team
from reviews.models import (
    UNDER_REVIEW_STATES,
    LevelChangeRequest,
    OpenSlot,
    RequestKind,
    RequestState,
    SignOff,
    SwitchbackKind,
    Waiver,
)

from .filters import Filters, in_scope
from .tables import Drill, Table, percentile

WAITING_DAYS = 14  # an open request older than this is "waiting long"
EXPIRING_DAYS = 14  # a waiver ending within this is "expiring"
SCOPE_WORDS = {"any": "any team", "owning_team": "the owning team", "independent": "outside it"}


def gate_label(kind: str, from_level: int, to_level: int) -> str:
    return f"{from_level}-{to_level}" if kind == RequestKind.ADVANCE else kind


def requests_in(scope: QuerySet) -> QuerySet:
    """Requests of the projects in ``scope``, unordered (aggregates need no sort)."""
    return in_scope(LevelChangeRequest.objects.order_by(), scope)


def _open_slots(scope: QuerySet) -> QuerySet:
    """Empty sign-off places of the open requests in ``scope`` (the ``OpenSlot`` rollup)."""
    return in_scope(OpenSlot.objects.all(), scope, "project")


def waiting_on_ids(scope: QuerySet, key: tuple[str, str, str]) -> QuerySet:
    """Ids of the open requests with an empty place of the slot ``(roles, team, scope)``."""
    roles, team, slot_scope = key
    return (
        _open_slots(scope)
        .filter(roles=roles, scope=slot_scope, project__team__name=team)
        .values("request_id")
    )


def bottlenecks(scope: QuerySet, f: Filters) -> Table:
    """Open requests by the role and team whose sign-off they wait for (one query).

    Read from the ``OpenSlot`` rollup, written by the reviews app's own slot
    matching whenever a request's gate is evaluated and rebuilt by beat.
    """
    grouped = (
        _open_slots(scope)
        .values("roles", "scope", "project__team_id")
        # One row per (request, roles, scope) (``openslot_one_per_request_slot``):
        # rows counted are requests counted, and the groups can be hashed.
        .annotate(n=Count("*"), oldest=Min("refreshed_at"))
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    order = "n DESC, roles, t.name, scope"
    with connection.cursor() as cursor:
        # Grouped by the team's id, its name joined to the ~1,000 groups afterwards
        # (not to each of the ~3,600 slots); the oldest refresh once, on the first
        # row, not a timestamp parsed per row.
        cursor.execute(
            "SELECT roles, scope, t.name, n, CASE WHEN row_number() OVER w = 1 "  # noqa: S608
            f"THEN min(oldest) OVER () END FROM ({sql}) AS g "
            f'JOIN {Team._meta.db_table} AS t ON t.id = g."project__team_id" '
            f"WINDOW w AS (ORDER BY {order}) ORDER BY {order}",
            params,
        )
        fetched = cursor.fetchall()
    rows = [{"roles": r, "scope": sc, "team": t, "n": n} for r, sc, t, n, _ in fetched]
    oldest = fetched[0][4] if fetched else None
    if isinstance(oldest, str):  # SQLite answers text
        oldest = parse_datetime(oldest)
        oldest = make_aware(oldest, UTC) if is_naive(oldest) else oldest
    table = Table(
        "waiting_on",
        "Open requests waiting on (role x team)",
        [
            ("role", "Role"),
            ("team", "Owning team"),
            ("where", "Signer from"),
            ("requests", "Requests"),
        ],
        note="A request waiting on two slots counts in both rows."
        + (
            " Sign-offs as of each request's last evaluation (the oldest: "
            f"{oldest:%Y-%m-%d %H:%M} UTC)."
            if oldest
            else ""
        ),
    )
    for row in rows:
        team = row["team"]
        table.add(
            {
                "role": row["roles"],
                "team": team,
                "where": SCOPE_WORDS.get(row["scope"], row["scope"]),
                "requests": row["n"],
            },
            partial(_waiting_drill, f"{row['roles']}|{team}|{row['scope']}"),
        )
    return table


def _waiting_drill(key: str) -> dict[str, Drill]:
    return {"requests": ("requests", {"waiting_on": key})}


def cycle_time(scope: QuerySet, f: Filters) -> Table:
    """Days from opening to decision per gate, for requests decided in the window (one query)."""
    table = Table(
        "cycle_time",
        "Review cycle time per gate (days, opened to decided)",
        [
            ("gate", "Gate"),
            ("decided", "Decided"),
            ("median", "Median"),
            ("p90", "90th percentile"),
        ],
    )
    decided = requests_in(scope).filter(decided_at__gte=f.since, decided_at__isnull=False)
    stats: dict[tuple, tuple[int, float | None, float | None]] = {}
    if connection.vendor == "postgresql":
        sql, params = decided.values(
            "kind", "from_level", "to_level", "created_at", "decided_at"
        ).query.sql_with_params()
        # Grouped by an integer gate key (advance: from * 10 + to; entry -1; switchback
        # -2) and timed with date_part (double precision; extract answers numeric):
        # about half the time of grouping by the kind's text.
        gate = (
            "CASE kind WHEN 'advance' THEN from_level * 10 + to_level "
            "WHEN 'entry' THEN -1 WHEN 'switchback' THEN -2 END"
        )
        epoch = "date_part('epoch', decided_at - created_at)"
        with connection.cursor() as cursor:
            # Entry and switchback requests share one gate whatever their levels.
            cursor.execute(
                f"SELECT {gate}, count(*), "  # noqa: S608
                f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {epoch}) "
                f"FROM ({sql}) AS d GROUP BY 1",
                params,
            )
            for key, n, (med, p90) in cursor.fetchall():
                stats[_gate_of_key(key)] = (n, float(med), float(p90))
    else:
        durations: dict[str, list[float]] = {}
        for kind, a, b, opened, closed in decided.values_list(
            "kind", "from_level", "to_level", "created_at", "decided_at"
        ):
            durations.setdefault(gate_label(kind, a, b), []).append(
                (closed - opened).total_seconds()
            )
        for gate, values in durations.items():
            stats[gate] = (len(values), percentile(values, 0.5), percentile(values, 0.9))
    for gate in sorted(stats, key=_gate_order):
        n, med, p90 = stats[gate]
        table.add(
            {"gate": gate, "decided": n, "median": _days(med), "p90": _days(p90)},
            {"decided": ("requests", {"gate": gate, "decided": 1})},
        )
    return table


def _gate_of_key(key: int) -> str:
    """The gate label of ``cycle_time``'s integer key."""
    if key < 0:
        return RequestKind.ENTRY.value if key == -1 else RequestKind.SWITCHBACK.value
    return gate_label(RequestKind.ADVANCE, key // 10, key % 10)


def _gate_order(gate: str) -> tuple:
    return (0, int(gate.split("-")[0])) if gate[0].isdigit() else (1, gate)


def switchbacks(scope: QuerySet, f: Filters) -> Table:
    """Approved switchbacks per month (or week, for windows up to 90 days) by kind (one query)."""
    weekly = f.days <= 90
    trunc = TruncWeek if weekly else TruncMonth
    kinds = list(SwitchbackKind)
    table = Table(
        "switchbacks",
        f"Switchbacks per {'week' if weekly else 'month'} by kind",
        [("period", "Week of" if weekly else "Month")]
        + [(k.value, k.value.title()) for k in kinds]
        + [("total", "Total")],
        note="Approved switchbacks decided in the window (the first period counts from the "
        "window's start); their reasons are on the list behind each number.",
    )
    rows = (
        requests_in(scope)
        .filter(kind=RequestKind.SWITCHBACK, state=RequestState.APPROVED, decided_at__gte=f.since)
        .annotate(period=trunc("decided_at"))
        .values("period", "switchback_kind")
        .annotate(n=Count("pk"))
        .order_by("period")
    )
    periods: dict = {}
    for row in rows:
        periods.setdefault(row["period"], {})[row["switchback_kind"]] = row["n"]
    for period, counts in periods.items():
        start = period.date().isoformat()
        end = (period + (timedelta(weeks=1) if weekly else timedelta(days=31))).date()
        if not weekly:
            end = end.replace(day=1)
        values = {k.value: counts.get(k.value, 0) for k in kinds}
        drill = {
            k.value: (
                "requests",
                {"switchback_kind": k.value, "from": start, "to": end.isoformat(), "decided": 1},
            )
            for k in kinds
        }
        drill["total"] = (
            "requests",
            {"kind": "switchback", "from": start, "to": end.isoformat(), "decided": 1},
        )
        table.add({"period": start, **values, "total": sum(values.values())}, drill)
    return table


FAILING_OUTCOMES = (CheckOutcome.FAIL, CheckOutcome.ERROR)


def check_results(scope: QuerySet, f: Filters) -> QuerySet:
    """Results of the completed runs of the window, of the projects in ``scope``."""
    return in_scope(
        CheckResult.objects.filter(
            run__status=CheckRunStatus.SUCCEEDED, run__finished_at__gte=f.since
        ),
        scope,
        "run__project",
    )


def check_pass_rates(scope: QuerySet, f: Filters, limit: int = 30) -> Table:
    """Pass rate of each check over completed runs in the window, most failing first (two queries).

    ``failed`` counts results; ``projects`` counts the projects with a failed result
    (a project whose check failed on three runs counts three results, one project)
    and links to them (``failing_check``).
    """
    table = Table(
        "checks",
        "Check pass rates (most failing first)",
        [
            ("check", "Check"),
            ("results", "Results"),
            ("passed", "Passed results"),
            ("failed", "Failed results"),
            ("projects", "Projects failing"),
            ("rate", "Pass rate (%)"),
        ],
        note="Pass and warn count as passing; fail and error as failing. "
        "Projects failing: projects with a failed result in the window.",
    )
    # One count per (check, outcome), folded here: cheaper for the database than three
    # filtered counts per check over every result of the window (~44,000 at 10,000
    # projects); at most a few hundred groups come back.
    counts = (
        check_results(scope, f)
        .values_list("check_key", "outcome")
        .annotate(n=Count("*"))
        .order_by()
    )
    by_check: dict[str, dict] = {}
    for key, outcome, n in counts:
        row = by_check.setdefault(key, {"check_key": key, "results": 0, "passed": 0, "failed": 0})
        row["results"] += n
        if outcome in PASSING_OUTCOMES:
            row["passed"] += n
        elif outcome in FAILING_OUTCOMES:
            row["failed"] += n
    rows = sorted(by_check.values(), key=lambda r: (-r["failed"], r["check_key"]))[:limit]
    failing = _projects_failing(scope, f, [r["check_key"] for r in rows if r["failed"]])
    for row in rows:
        rate = round(100 * row["passed"] / row["results"], 1) if row["results"] else None
        table.add(
            {
                "check": row["check_key"],
                "results": row["results"],
                "passed": row["passed"],
                "failed": row["failed"],
                "projects": failing.get(row["check_key"], 0),
                "rate": rate,
            },
            {"projects": ("projects", {"failing_check": row["check_key"]})},
        )
    return table


def _projects_failing(scope: QuerySet, f: Filters, keys: list[str]) -> dict[str, int]:
    """Check key -> projects with a failed result of it in the window (one query, none
    without ``keys``).

    Over the failed results only (``checkresult_failing``, a partial index: a few
    percent of the results), and counted over the distinct (check, project) pairs,
    which the database hashes: ``count(DISTINCT ...)`` per check would sort them by
    the check's text.
    """
    if not keys:
        return {}
    pairs = (
        check_results(scope, f)
        .filter(outcome__in=FAILING_OUTCOMES, check_key__in=keys)
        .values_list("check_key", "run__project_id")
        .distinct()
        .order_by()
    )
    sql, params = pairs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT check_key, count(*) FROM ({sql}) AS pairs GROUP BY check_key",  # noqa: S608
            params,
        )
        return dict(cursor.fetchall())


def at_risk(scope: QuerySet, f: Filters) -> Table:
    """Flagged projects, expired and expiring waivers, stale approvals, long waits (4 queries)."""
    table = Table("at_risk", "At risk", [("what", "What"), ("count", "Count")])
    now = f.now
    flagged = scope.filter(risk__since__isnull=False).count()
    # Projects, not waivers: a project may hold several (one per check), and the
    # list behind the number is of projects.
    waivers = in_scope(Waiver.objects.filter(revoked_at__isnull=True), scope).aggregate(
        expired=Count("project", distinct=True, filter=Q(expires_at__lte=now)),
        expiring=Count(
            "project",
            distinct=True,
            filter=Q(expires_at__gt=now, expires_at__lte=now + timedelta(days=EXPIRING_DAYS)),
        ),
    )
    stale = (
        in_scope(SignOff.objects.all(), scope, "request__project")
        .filter(
            request__state__in=UNDER_REVIEW_STATES,
            active=True,
            stale=True,
        )
        .values("request")
        .distinct()
        .count()
    )
    waiting = (
        requests_in(scope)
        .filter(state__in=UNDER_REVIEW_STATES, created_at__lte=now - timedelta(days=WAITING_DAYS))
        .count()
    )
    for what, count, drill in (
        ("Projects flagged at risk by monitoring", flagged, ("projects", {"at_risk": 1})),
        (
            "Projects with an expired waiver (not revoked)",
            waivers["expired"],
            ("projects", {"waiver": "expired"}),
        ),
        (
            f"Projects with a waiver expiring within {EXPIRING_DAYS} days",
            waivers["expiring"],
            ("projects", {"waiver": "expiring"}),
        ),
        ("Open requests with stale approvals", stale, ("requests", {"stale": 1})),
        (
            f"Requests waiting longer than {WAITING_DAYS} days",
            waiting,
            ("requests", {"waiting": WAITING_DAYS}),
        ),
    ):
        table.add({"what": what, "count": count}, {"count": drill})
    return table


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 1)
