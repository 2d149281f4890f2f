"""Every linked number of the dashboard equals the length of the list it links to.

On the fixed organisation plus a history that tells the two apart wherever a
figure and its list could differ: a project that holds a level twice within
the window, a check failing twice on one project, two waivers of one project,
a switchback period that starts before the window, a team whose name holds
the ``|`` of the ``waiting_on`` key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from gates.services import check_run_record_completed
from portfolio.dashboard import dashboard_tables
from portfolio.filters import Filters
from projects.actors import system_actor
from projects.models import Team
from reviews import services as reviews
from reviews.models import RequestKind
from reviews.waivers import waiver_grant
from tests.org import SHA_B
from tests.portfolio.fixed_org import DAY0, NOW_DAY, _level

LINKED = re.compile(r'<td class="num"><a href="([^"]+)">(\d+)</a></td>')
COUNT = re.compile(r"<h1>(\d+) (?:project|request)s?</h1>")


@pytest.fixture
def edges(fixed, clock):
    """The fixed organisation plus the history above; the clock back at "now"."""
    org, alpha = fixed.org, fixed.projects["alpha"]
    clock.day(10)
    _level(alpha, 3)  # alpha's second stay at 2 (day 8-10) ends, a second stay at 3 opens
    clock.day(11)
    _level(alpha, 2)  # ... and ends: two completed stays at 2 and at 3, one project
    for check, days in (
        ("readme_purpose", 3),
        ("experiment_records", 4),
        ("research_requirements", 14),
    ):
        # two expired by "now" (day 20.5), one expiring within 14 days of it
        waiver_grant(
            project=alpha,
            check_key=check,
            actor=org.lead,
            reason="Waived for the test.",
            expires_at=DAY0 + timedelta(days=11 + days),
        )
    clock.day(12)
    check_run_record_completed(  # experiment_records fails a second time on alpha
        project=alpha,
        commit_sha=SHA_B,
        results=[{"check_key": "experiment_records", "outcome": "fail"}],
        actor=system_actor("worker"),
    )
    switchback = reviews.request_open(
        project=alpha,
        actor=org.researcher,
        kind=RequestKind.SWITCHBACK,
        switchback_kind="review",
        to_level=1,
        reason="Second look at the data.",
    )
    clock.day(13)  # the week of 01-12 now holds a review switchback on day 8 and on day 13
    reviews.signoff_record(level_request=switchback, actor=org.lead, decision="approve")
    Team.objects.filter(pk=org.teams["research"].pk).update(name="Research | Core")
    clock.day(NOW_DAY)
    return fixed


def _linked_numbers(client, query: str) -> list[tuple[str, int]]:
    html = client.get(reverse("portfolio:index") + query).content.decode()
    return [(unescape(href), int(n)) for href, n in LINKED.findall(html)]


QUERIES = [
    "",
    "?days=1",
    "?days=10",  # from day 10.5: the week of 01-12 starts before the window
    "?days=3650",
    "?team=research",
    "?team=engineering&team=research",
    "?level_min=2&level_max=6",
    "?phase=research&status=active",
]


@pytest.mark.parametrize("query", QUERIES)
def test_every_linked_number_is_the_length_of_its_list(client, edges, query):
    client.force_login(edges.org.manager)
    linked = _linked_numbers(client, query)
    assert len(linked) >= 20  # the fixed organisation fills every table with links
    wrong = []
    for href, number in linked:
        listed = COUNT.search(client.get(href).content.decode())
        if listed is None or int(listed.group(1)) != number:
            wrong.append((href, number, listed and listed.group(1)))
    assert wrong == []


def test_the_history_tells_figures_and_lists_apart(client, edges):
    """Without these the test above would pass whatever the lists counted."""
    tables = {
        t.key: t.rows for t in dashboard_tables(edges.org.manager, Filters(days=10, now=edges.now))
    }
    # alpha's stays at 2: days 3-6, 8-10, 11-13; at 3: days 6-8, 10-11 (all within 90 days)
    full = {t.key: t.rows for t in dashboard_tables(edges.org.manager, Filters(now=edges.now))}
    by_level = {r["level"]: (r["stays"], r["projects"]) for r in full["time_in_level"]}
    assert by_level[2] == (3, 1) and by_level[3] == (2, 1)
    checks = {r["check"]: (r["failed"], r["projects"]) for r in full["checks"]}
    assert checks["experiment_records"] == (3, 2)  # alpha twice, delta once
    # one project, two expired waivers; one expiring
    assert [r["count"] for r in full["at_risk"]][1:3] == [1, 1]
    # the week of 01-12 within a 10-day window: day 13's switchback, not day 8's
    assert tables["switchbacks"] == [
        {"period": "2026-01-12", "discovery": 0, "review": 1, "embedded": 0, "total": 1}
    ]
    assert full["waiting_on"][0]["team"] == "Research | Core"


def test_the_level_held_list_says_what_it_lists(client, edges):
    client.force_login(edges.org.manager)
    page = client.get("/portfolio/projects/?level_held=3&days=10").content.decode()
    assert "<h1>1 project</h1>" in page and ">Alpha<" in page
    assert "left level 3 within the last 10 days (a completed stay)" in page
    # the window counts: alpha's last stay at 3 ended on day 11, 9.5 days before now
    assert (
        "<h1>0 projects</h1>"
        in client.get("/portfolio/projects/?level_held=3&days=9").content.decode()
    )
