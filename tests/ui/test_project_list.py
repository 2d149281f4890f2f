"""The project list: filters in the query string, cursor pages, the bounded count,
the team filter, the system level column; always within what the user may see."""

from __future__ import annotations

import html
import re

from django.urls import reverse

import projects.keyset
from projects import services as project_services
from projects.keyset import cursor_encode
from tests.org import admin_actor

from . import builders


def text(response) -> str:
    return response.content.decode()


# --- project list ---------------------------------------------------------------------


def test_project_list_filters_in_the_query_string(ui, client):
    builders.new_project(ui.org, "speech", name="Speech recogniser")
    client.force_login(ui.org.manager)
    url = reverse("projects:list")
    assert "3 projects" in text(client.get(url))
    body = text(client.get(url, {"level": "4"}))
    assert "Vision model" in body and "Speech recogniser" not in body
    body = text(client.get(url, {"team": "gamma"}))
    assert "Secret model" in body and "Vision model" not in body
    body = text(client.get(url, {"q": "speech"}))
    assert "Speech recogniser" in body and "Vision model" not in body
    body = text(client.get(url, {"phase": "prototyping"}))
    assert "Vision model" in body and "Speech recogniser" not in body
    body = text(client.get(url, {"gap": "unknown"}))
    assert "Vision model" in body  # no evidence level computed in these tests
    body = text(client.get(url, {"status": "retired"}))
    assert "No project matches" in body


def test_project_list_ignores_bad_filter_values(ui, client):
    client.force_login(ui.org.researcher)
    for query in [{"level": "12"}, {"level": "x"}, {"phase": "<b>"}, {"gap": "?"}, {"page": "z"}]:
        response = client.get(reverse("projects:list"), query)
        assert response.status_code == 200, query
        assert "Vision model" in text(response)


def _list_names(body: str) -> list[str]:
    """Project names in the list's table, in page order."""
    return re.findall(r'<td><a href="/projects/[^/]+/">([^<]+)</a>', body)


def _link(body: str, rel: str) -> str | None:
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}">', body)
    return html.unescape(found.group(1)) if found else None


def test_project_list_pages_forward_and_back_with_cursors(ui, client, settings):
    settings.MLTRL_PAGE_SIZE = 2
    for slug in ("alpha-model", "beta-model", "delta-model", "epsilon-model"):
        builders.new_project(ui.org, slug)
    builders.new_project(ui.org, "beta-twin", name="Beta Model")  # same name: pk breaks the tie
    client.force_login(ui.org.researcher)
    url = reverse("projects:list")
    expected = sorted(
        ["Alpha Model", "Beta Model", "Beta Model", "Delta Model", "Epsilon Model", "Vision model"]
    )
    seen, pages, query = [], [], ""
    while True:
        body = text(client.get(f"{url}?{query}"))
        pages.append(body)
        seen += _list_names(body)
        query = _link(body, "next")
        if query is None:
            break
    assert seen == expected and len(pages) == 3
    assert "6 projects" in pages[0] and "First page" in pages[0]
    assert _link(pages[0], "prev") is None and _link(pages[2], "next") is None
    back = text(client.get(f"{url}?{_link(pages[2], 'prev')}"))
    assert _list_names(back) == expected[2:4]
    first = text(client.get(f"{url}?{_link(back, 'prev')}"))
    assert _list_names(first) == expected[:2] and _link(first, "prev") is None


def test_project_list_cursor_keeps_the_filters_and_bad_cursors_give_the_first_page(
    ui, client, settings
):
    settings.MLTRL_PAGE_SIZE = 1
    builders.new_project(ui.org, "alpha-model")
    builders.new_project(ui.org, "zeta-model")
    client.force_login(ui.org.researcher)
    url = reverse("projects:list")
    body = text(client.get(url, {"q": "model", "team": "research"}))
    nxt = _link(body, "next")
    assert "q=model" in nxt and "team=research" in nxt and "page" not in nxt
    for bad in ("z", "!!", "W10", "WyJhIl0", "WyJhIiwidHJ1ZSJd", "x" * 2000):
        response = client.get(url, {"after": bad, "before": bad})
        assert response.status_code == 200, bad
        assert _list_names(text(response)) == ["Alpha Model"], bad


def test_project_list_cursor_never_reaches_past_the_permission_filter(ui, client, settings):
    """A cursor forged from a project the user may not see only picks a starting
    point: the rows still come from the permission entry point."""
    settings.MLTRL_PAGE_SIZE = 5
    client.force_login(ui.org.researcher)
    url = reverse("projects:list")
    for cursor in (cursor_encode("", 0), cursor_encode(ui.secret.name, ui.secret.pk)):
        for key in ("after", "before"):
            body = text(client.get(url, {key: cursor}))
            assert "Secret model" not in body, (key, cursor)


def test_project_list_counts_up_to_a_bound(ui, client, monkeypatch):
    builders.new_project(ui.org, "alpha-model")
    builders.new_project(ui.org, "beta-model")
    client.force_login(ui.org.researcher)
    assert "3 projects" in text(client.get(reverse("projects:list")))
    monkeypatch.setattr(projects.keyset, "COUNT_BOUND", 2)
    body = text(client.get(reverse("projects:list")))
    assert "More than 2 projects" in body and "3 projects" not in body
    assert "1 project match" in text(client.get(reverse("projects:list"), {"q": "alpha"}))


def test_project_list_team_filter_offers_owning_teams_and_shows_only_visible_rows(ui, client):
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("projects:list")))
    assert '<option value="gamma">Gamma</option>' in body  # the team directory shows it too
    assert '<option value="engineering">' not in body  # owns no project
    body = text(client.get(reverse("projects:list"), {"team": "gamma"}))
    assert "Secret model" not in body and "No project matches" in body


def test_project_list_shows_the_system_level_of_coupled_projects(ui, client):
    low = builders.new_project(ui.org, "feature-store", name="Feature store")
    project_services.project_update(project=ui.vision, components=[low], actor=admin_actor())
    client.force_login(ui.org.researcher)
    assert "limited" in text(client.get(reverse("projects:list"), {"q": "vision"}))
