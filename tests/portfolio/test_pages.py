"""Portfolio pages: links behind numbers, CSV, JSON, scoping, bad filters, query count."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


@pytest.fixture
def manager_client(client, fixed):
    client.force_login(fixed.org.manager)
    return client


def _links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_dashboard_shows_every_table_with_a_chart_and_links(manager_client):
    response = manager_client.get(reverse("portfolio:index"))
    assert response.status_code == 200
    html = response.content.decode()
    for key in (
        "levels",
        "funnel",
        "time_in_level",
        "cycle_time",
        "waiting_on",
        "at_risk",
        "switchbacks",
        "checks",
        "trend",
        "evidence",
    ):
        assert f'id="table-{key}"' in html
        assert f"/portfolio/{key}.csv" in html
    assert html.count("<svg") >= 8 and '<title id="chart-levels-t">' in html
    assert "Prototyping" in html  # phases marked on the levels chart
    assert ' style="' not in html and "<script>" not in html


def test_number_links_open_the_list_behind_them(manager_client):
    html = manager_client.get(reverse("portfolio:index")).content.decode()
    links = _links(html)
    # levels: Research at level 7 is beta
    level7 = next(h for h in links if "in_team=research" in h and "level=7" in h)
    page = manager_client.get(level7).content.decode()
    assert "1 project" in page and ">Beta<" in page
    # funnel: reached level 4 -> beta, delta, epsilon
    reached = next(h for h in links if h.startswith("/portfolio/projects/?") and "reached=4" in h)
    page = manager_client.get(reached).content.decode()
    assert "3 projects" in page and all(n in page for n in (">Beta<", ">Delta<", ">Epsilon<"))
    # waiting on: vision's open request
    waiting = next(h for h in links if "waiting_on=" in h)
    page = manager_client.get(waiting).content.decode()
    assert "1 request" in page and "Vision model" in page
    # switchbacks: alpha's, with its reason
    review = next(h for h in links if "switchback_kind=review" in h)
    page = manager_client.get(review).content.decode()
    assert "Leakage found in the validation split." in page
    # checks: experiment_records failed on alpha and delta
    failing = next(h for h in links if "failing_check=experiment_records" in h)
    page = manager_client.get(failing).content.decode()
    assert "2 projects" in page and ">Alpha<" in page and ">Delta<" in page
    # at risk: beta, with its reason
    risky = next(h for h in links if "at_risk=1" in h)
    page = manager_client.get(risky).content.decode()
    assert ">Beta<" in page and "Required check x fails." in page
    # evidence behind: delta
    behind = next(h for h in links if "gap=behind" in h)
    assert ">Delta<" in manager_client.get(behind).content.decode()


def test_csv_export(manager_client):
    response = manager_client.get(reverse("portfolio:csv", args=["checks"]))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="portfolio-checks.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        [
            "Check",
            "Results",
            "Passed results",
            "Failed results",
            "Projects failing",
            "Pass rate (%)",
        ],
        ["experiment_records", "2", "0", "2", "2", "0.0"],
        ["tests_present", "1", "0", "1", "1", "0.0"],
        ["readme_purpose", "2", "2", "0", "0", "100.0"],
    ]
    levels = manager_client.get(reverse("portfolio:csv", args=["levels"]) + "?team=engineering")
    rows = list(csv.reader(io.StringIO(levels.content.decode())))
    assert rows[1] == ["Engineering", "0", "0", "0", "0", "0", "2", "0", "0", "0", "0", "2"]
    assert len(rows) == 2
    assert manager_client.get("/portfolio/nothing.csv").status_code == 404


def test_json_api(manager_client):
    data = manager_client.get("/api/v1/portfolio/").json()
    assert [t["key"] for t in data["tables"]][:2] == ["levels", "funnel"]
    assert data["filters"]["days"] == 90
    one = manager_client.get("/api/v1/portfolio/evidence/?team=engineering").json()
    assert [r["projects"] for r in one["rows"]] == [1, 1, 0, 0]
    bad = manager_client.get("/api/v1/portfolio/?level_min=12")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert bad.json()["fields"]["level_min"] == ["level_min must be between 0 and 9, not 12."]
    missing = manager_client.get("/api/v1/portfolio/nothing/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "level_min=x",
        "level_min=5&level_max=2",
        "phase=space",
        "status=gone",
        "days=0",
        "team=a%00b",
    ],
)
def test_bad_filters_answer_400_with_a_sentence(manager_client, query):
    response = manager_client.get(reverse("portfolio:index") + "?" + query)
    assert response.status_code == 400
    assert "That filter could not be used" in response.content.decode()


def test_a_phase_outside_the_level_range_shows_empty_tables(manager_client):
    """No level admitted (deployment is 7-9): empty tables, not a crash of the raw SQL."""
    query = "?phase=deployment&level_max=2"
    assert manager_client.get(reverse("portfolio:index") + query).status_code == 200
    data = manager_client.get("/api/v1/portfolio/" + query).json()
    tables = {t["key"]: t["rows"] for t in data["tables"]}
    assert tables["levels"] == [] and all(r["reached"] == 0 for r in tables["funnel"])


@pytest.mark.parametrize(
    "query",
    [
        "level=12",
        "gap=sideways",
        "gate=x",
        "from=yesterday",
        # Unicode digits: "²".isdigit() is true but int("²") raises; int("٣") is 3.
        "level=²",
        "level=٣",
        "reached=¹",
        "level_held=³",
        "level=1_0",
        "level=9" * 5000,
        "gate=1-²",
        "gate=²-3",
        "waiting=²",
        "waiting=٣",
        "waiting=-1",
        "waiting=3651",
        "waiting=3000000",  # timedelta overflowed: OverflowError, a 500
        "waiting=99999999999",
        "waiting=" + "9" * 5000,  # int() refuses over 4,300 digits
    ],
)
def test_bad_drill_parameters_answer_400(manager_client, query):
    target = "requests" if query.split("=")[0] in ("gate", "from", "waiting") else "projects"
    response = manager_client.get(f"/portfolio/{target}/?{query}")
    assert response.status_code == 400
    assert "That filter could not be used" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "level_min=²",
        "level_max=٣",
        "days=²",
        "days=٣٠",
        "days=1_0",
        "days=%2B30",
        "days=99999999999999999999999",
    ],
)
def test_unicode_or_odd_numbers_in_filters_answer_400(manager_client, query):
    assert manager_client.get(reverse("portfolio:index") + "?" + query).status_code == 400
    assert (
        manager_client.get(reverse("portfolio:csv", args=["levels"]) + "?" + query).status_code
        == 400
    )
    answer = manager_client.get("/api/v1/portfolio/?" + query)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    key = query.split("=")[0]
    assert answer.json()["fields"][key][0].startswith(f"{key} must be")
    table = manager_client.get("/api/v1/portfolio/levels/?" + query)
    assert table.status_code == 400


def test_the_longest_waits_are_listed(manager_client):
    """The upper bounds themselves answer a list (vision's request waits 18.5 days)."""
    assert "1 request" in manager_client.get("/portfolio/requests/?waiting=18").content.decode()
    page = manager_client.get("/portfolio/requests/?waiting=3650").content.decode()
    assert "<h1>0 requests</h1>" in page


def test_anonymous_is_sent_to_sign_in(client, fixed):
    response = client.get(reverse("portfolio:index"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # The API answers an anonymous caller 401 with a Bearer challenge (docs/api.md).
    answer = client.get("/api/v1/portfolio/")
    assert answer.status_code == 401 and answer["WWW-Authenticate"].startswith("Bearer")


def test_a_team_member_sees_only_their_teams_numbers(client, fixed):
    """researcher belongs to research only: nothing of engineering's projects, numbers included."""
    client.force_login(fixed.org.researcher)
    data = client.get("/api/v1/portfolio/").json()
    tables = {t["key"]: t["rows"] for t in data["tables"]}
    assert [r["team"] for r in tables["levels"]] == ["Research"]
    assert tables["funnel"][0]["reached"] == 4  # vision, alpha, beta, gamma
    assert tables["funnel"][5]["reached"] == 1  # beta only (delta, epsilon are engineering's)
    assert [r["check"] for r in tables["checks"]] == ["experiment_records", "readme_purpose"]
    assert tables["checks"][0]["results"] == 1  # delta's failure not counted
    assert [r["projects"] for r in tables["evidence"]] == [0, 0, 1, 3]
    html = client.get(reverse("portfolio:index")).content.decode()
    assert "Engineering" not in html and "Delta" not in html
    page = client.get("/portfolio/projects/?gap=behind").content.decode()
    assert "0 projects" in page and "Delta" not in page
    page = client.get("/portfolio/projects/?team=engineering").content.decode()
    assert "0 projects" in page
    rows = client.get("/portfolio/levels.csv").content.decode()
    assert "Engineering" not in rows


def test_outsider_sees_an_empty_portfolio(client, fixed):
    client.force_login(fixed.org.outsider)
    tables = {t["key"]: t["rows"] for t in client.get("/api/v1/portfolio/").json()["tables"]}
    assert tables["levels"] == [] and tables["checks"] == [] and tables["waiting_on"] == []
    assert all(r["reached"] == 0 for r in tables["funnel"])


def test_nav_links_to_the_portfolio(manager_client):
    html = manager_client.get(reverse("reviews:home")).content.decode()
    assert 'href="/portfolio/"' in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("portfolio:index")).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_is_constant_in_the_number_of_projects(client, django_user_model):
    from django.contrib.auth.models import Permission

    manager = django_user_model.objects.create_user("pf-manager")
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="projects", codename="view_project")
    )
    client.force_login(manager)
    call_command("seed_portfolio", projects=10, teams=2, stdout=io.StringIO(), stderr=io.StringIO())
    small = _queries(client)
    call_command(
        "seed_portfolio", projects=1000, teams=2, stdout=io.StringIO(), stderr=io.StringIO()
    )
    large = _queries(client)
    assert small == large, (small, large)


def test_the_page_caps_long_tables_and_the_csv_keeps_every_row(manager_client, monkeypatch):
    from portfolio import views

    monkeypatch.setattr(views, "PAGE_ROWS", 1)
    html = manager_client.get(reverse("portfolio:index")).content.decode()
    levels = html[html.index('id="table-levels"') : html.index('id="sec-funnel"')]
    assert ">Research<" in levels and ">Engineering<" not in levels  # the larger team (4 vs 2)
    assert "Showing 1 of 2 rows (the teams with the most projects)" in levels
    rows = list(
        csv.reader(io.StringIO(manager_client.get("/portfolio/levels.csv").content.decode()))
    )
    assert [r[0] for r in rows[1:]] == ["Engineering", "Research"]


def test_the_levels_chart_stacks_the_largest_teams_and_the_rest_as_one():
    from portfolio.charts import chart_for
    from portfolio.tables import Table

    table = Table("levels", "Projects by level and team", [])
    for i in range(12):  # team 11 has the most projects, team 0 the fewest
        table.add({"team": f"T{i:02d}", **{f"l{n}": i + 1 if n == 0 else 0 for n in range(10)}})
        table.rows[-1]["total"] = i + 1
    legend = [item["label"] for item in chart_for(table)["legend"]]
    assert legend == [f"T{i:02d}" for i in range(11, 2, -1)] + ["3 other teams"]
    level0 = [b for b in chart_for(table)["bars"] if b["label"].startswith("3 other teams, 0")]
    assert level0 and level0[0]["label"].endswith(": 6")  # 1 + 2 + 3


def _select(html: str, name: str) -> tuple[str, list[str]]:
    """The opening tag of the select called ``name`` and the values of its selected options."""
    match = re.search(rf'(<select [^>]*name="{name}"[^>]*>)(.*?)</select>', html, re.S)
    assert match, name
    return match.group(1), re.findall(r'<option value="([^"]*)" selected>', match.group(2))


@pytest.mark.parametrize("days", [1, 7, 45, 90, 3650])
def test_the_filter_form_shows_the_current_window(manager_client, days):
    """Any valid window is the selected option, so Apply keeps it (not "last 7 days")."""
    html = manager_client.get(reverse("portfolio:index") + f"?days={days}").content.decode()
    assert _select(html, "days")[1] == [str(days)]
    label = "last 1 day<" if days == 1 else f"last {days} days<"
    assert label in html


def test_the_filter_form_carries_several_teams(manager_client):
    html = manager_client.get(
        reverse("portfolio:index") + "?team=research&team=engineering"
    ).content.decode()
    tag, selected = _select(html, "team")
    assert " multiple" in tag and 'aria-describedby="p-team-hint"' in tag
    assert sorted(selected) == ["engineering", "research"]
    assert 'id="p-team-hint"' in html
    # Re-applying the form sends both: the figures cover both teams' projects.
    levels = {
        t["key"]: t
        for t in manager_client.get("/api/v1/portfolio/?team=research&team=engineering").json()[
            "tables"
        ]
    }["levels"]
    assert [r["team"] for r in levels["rows"]] == ["Engineering", "Research"]
    none = manager_client.get(reverse("portfolio:index")).content.decode()
    assert _select(none, "team")[1] == []
