"""Every dashboard figure against values worked out by hand on the fixed organisation.

See ``tests/portfolio/fixed_org.py`` for the history; each expectation below is
derived from it in the comment beside it, not from the code under test.
"""

from __future__ import annotations

import re

import pytest

from portfolio.dashboard import dashboard_tables
from portfolio.filters import Filters

L = [f"l{n}" for n in range(10)]


def levels_row(**counts) -> dict:
    return {k: counts.get(k, 0) for k in L}


@pytest.fixture
def tables(fixed):
    return {t.key: t.rows for t in dashboard_tables(fixed.org.manager, Filters(now=fixed.now))}


def test_levels_per_team(tables):
    # engineering: delta 5, epsilon 5; research: vision 0, gamma 0, alpha 2 (after the
    # switchback), beta 7
    assert tables["levels"] == [
        {"team": "Engineering", **levels_row(l5=2), "total": 2},
        {"team": "Research", **levels_row(l0=2, l2=1, l7=1), "total": 4},
    ]


def test_funnel(tables):
    # highest level ever: vision 0, gamma 0, alpha 3, beta 7, delta 5, epsilon 5
    reached = [6, 4, 4, 4, 3, 3, 1, 1, 0, 0]
    conversion = [None, 66.7, 100.0, 100.0, 75.0, 100.0, 33.3, 100.0, 0.0, None]
    assert tables["funnel"] == [
        {"level": n, "reached": reached[n], "conversion": conversion[n]} for n in range(10)
    ]


def test_time_in_level(tables):
    # level 0 stays: alpha 1 d, beta 2 d, delta 4 d, epsilon 5 d -> median 3, p90 4 + 0.7 = 4.7
    # level 1: alpha day 1-3; level 2: alpha day 3-6; level 3: alpha day 6-8
    # one stay per project here (two stays of one project: tests/portfolio/test_drill_counts.py)
    expected = {0: (4, 4, 3.0, 4.7), 1: (1, 1, 2.0, 2.0), 2: (1, 1, 3.0, 3.0), 3: (1, 1, 2.0, 2.0)}
    rows = {
        r["level"]: (r["stays"], r["projects"], r["median"], r["p90"])
        for r in tables["time_in_level"]
    }
    assert rows == {n: expected.get(n, (0, 0, None, None)) for n in range(10)}


def test_review_cycle_time(tables):
    # gamma's 0->1 opened day 1, withdrawn day 3; alpha's switchback opened day 7, approved day 8
    assert tables["cycle_time"] == [
        {"gate": "0-1", "decided": 1, "median": 2.0, "p90": 2.0},
        {"gate": "switchback", "decided": 1, "median": 1.0, "p90": 1.0},
    ]


def test_waiting_on(tables):
    # vision's 0->1 is open with its one research-lead slot (any team) empty
    assert tables["waiting_on"] == [
        {"role": "research-lead", "team": "Research", "where": "any team", "requests": 1}
    ]


def test_waiting_on_notes_the_oldest_evaluation(fixed):
    (table,) = dashboard_tables(fixed.org.manager, Filters(now=fixed.now), only="waiting_on")
    assert re.search(r"\(the oldest: 2026-01-\d\d \d\d:\d\d UTC\)", table.note), table.note


def test_at_risk(tables):
    # beta flagged; no waivers; no stale approvals; vision's request open since day 2 (18.5 days)
    assert [r["count"] for r in tables["at_risk"]] == [1, 0, 0, 0, 1]


def test_switchbacks(tables):
    # alpha's review switchback approved day 8 = Tuesday 2026-01-13: week of Monday 01-12
    assert tables["switchbacks"] == [
        {"period": "2026-01-12", "discovery": 0, "review": 1, "embedded": 0, "total": 1}
    ]


def test_check_pass_rates(tables):
    assert tables["checks"] == [
        # experiment_records failed on alpha and delta, tests_present (error) on delta
        {
            "check": "experiment_records",
            "results": 2,
            "passed": 0,
            "failed": 2,
            "projects": 2,
            "rate": 0.0,
        },
        {
            "check": "tests_present",
            "results": 1,
            "passed": 0,
            "failed": 1,
            "projects": 1,
            "rate": 0.0,
        },
        {
            "check": "readme_purpose",
            "results": 2,
            "passed": 2,
            "failed": 0,
            "projects": 0,
            "rate": 100.0,
        },
    ]


def test_trend(tables):
    # week ends 2026-01-26 back to 2025-11-10 (00:00 UTC); nothing existed before day 0
    # (01-05 12:00)
    rows = tables["trend"]
    assert [r["week"] for r in rows][-3:] == ["2026-01-12", "2026-01-19", "2026-01-26"]
    assert len(rows) == 12
    assert all(r[k] == 0 for r in rows[:9] for k in L)
    # 01-12 00:00 is day 6.5: alpha at 3, beta 7, delta 5, epsilon 5, vision and gamma 0
    assert {k: rows[9][k] for k in L} == levels_row(l0=2, l3=1, l5=2, l7=1)
    assert {k: rows[10][k] for k in L} == levels_row(l0=2, l2=1, l5=2, l7=1)
    assert {k: rows[11][k] for k in L} == levels_row(l0=2, l2=1, l5=2, l7=1)


def test_evidence_gaps(tables):
    # delta 3 < 5 (behind), epsilon 6 > 5 (ahead), beta 7 = 7, three never checked
    assert [r["projects"] for r in tables["evidence"]] == [1, 1, 1, 3]


def test_filters_narrow_every_table(fixed):
    f = Filters(teams=("engineering",), now=fixed.now)
    tables = {t.key: t.rows for t in dashboard_tables(fixed.org.manager, f)}
    assert [r["team"] for r in tables["levels"]] == ["Engineering"]
    assert tables["funnel"][5]["reached"] == 2
    assert tables["waiting_on"] == [] and tables["switchbacks"] == []
    assert [r["check"] for r in tables["checks"]] == [
        "experiment_records",
        "tests_present",
        "readme_purpose",
    ]
    assert tables["checks"][0]["results"] == 1
    phase = Filters(phase="research", now=fixed.now)  # levels 0-2: vision, gamma, alpha
    levels = {t.key: t.rows for t in dashboard_tables(fixed.org.manager, phase)}["levels"]
    assert levels == [{"team": "Research", **levels_row(l0=2, l2=1), "total": 3}]
    short = Filters(days=7, now=fixed.now)  # window from day 13.5: nothing decided or run
    window = {t.key: t.rows for t in dashboard_tables(fixed.org.manager, short)}
    assert window["cycle_time"] == [] and window["checks"] == [] and window["switchbacks"] == []


def test_an_unconditioned_scope_skips_the_project_subquery_with_the_same_figures(fixed):
    """``in_scope`` leaves out the join with every project for an organisation-wide viewer.

    The same builders over a scope that is conditioned (but admits every project)
    go through the ``project__in`` subquery: every table must come out the same.
    """
    from django.db.models import Q

    from portfolio.dashboard import BUILDERS
    from portfolio.filters import in_scope
    from projects.models import LevelStay, Project

    f = Filters(now=fixed.now)
    assert f.projects(Project.objects.all()).query.where.children == []  # every level: no filter
    everything = Project.objects.all()
    conditioned = Project.objects.filter(Q(pk__gte=0) | Q(pk__lt=0))
    assert "IN (SELECT" not in str(in_scope(LevelStay.objects.all(), everything).query)
    assert "IN (SELECT" in str(in_scope(LevelStay.objects.all(), conditioned).query)
    for key, build in BUILDERS.items():
        assert build(everything, f).rows == build(conditioned, f).rows, key
    narrowed = Filters(level_min=5, now=fixed.now)  # delta, epsilon 5, beta 7
    assert narrowed.projects(Project.objects.all()).count() == 3
