"""The list, home, project and review pages cost the same number of queries at two sizes.

Each test builds a small and a larger world, counts the queries of one page
load at each size, and asserts the counts are equal: no query per row.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services as project_services
from reviews.selectors import request_requirements
from tests.org import admin_actor, build_org

from . import builders


def queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code in (200, 286), (url, response.status_code)
    return len(ctx.captured_queries)


def _projects_with_open_requests(org, n: int, prefix: str) -> list:
    out = []
    for i in range(n):
        project = builders.new_project(org, f"{prefix}-{i}")
        out.append(builders.open_advance(org, project))
    return out


def test_project_list_queries_do_not_grow_with_rows(db, client):
    org = build_org()
    client.force_login(org.researcher)
    url = reverse("projects:list")
    for i in range(2):
        builders.new_project(org, f"small-{i}")
    small = queries(client, url)
    for i in range(10):
        project = builders.new_project(org, f"big-{i}")
        project_services.project_update(
            project=project, components=[org.project], actor=admin_actor()
        )
    assert queries(client, url) == small


def test_home_queries_do_not_grow_with_rows(db, client):
    org = build_org()
    url = reverse("reviews:home")
    first = _projects_with_open_requests(org, 1, "a")
    builders.pass_checks(first[0])  # every size has a completed run (an empty IN costs nothing)
    client.force_login(org.lead)  # waits on 0 -> 1 requests (research-lead)
    small_lead = queries(client, url)
    client.force_login(org.researcher)  # owns them, opened them
    small_researcher = queries(client, url)
    more = _projects_with_open_requests(org, 5, "b")
    builders.pass_checks(more[0])
    builders.comment(more[1], org.eng, "A question.")
    client.force_login(org.lead)
    body = client.get(url).content.decode()
    assert "Waiting on you (6)" in body
    assert queries(client, url) == small_lead
    client.force_login(org.researcher)
    assert queries(client, url) == small_researcher


def test_project_page_and_fragments_queries_do_not_grow_with_history(db, client):
    org = build_org()
    client.force_login(org.researcher)
    project = org.project
    urls = [
        reverse("projects:detail", args=[project.slug]),
        reverse("reviews:project_requests", args=[project.slug]),
        reverse("gates:project_repository", args=[project.slug]),
        reverse("projects:card", args=[project.slug]),
    ]
    request = builders.open_advance(org, project)
    builders.pass_checks(request)
    small = [queries(client, u, **{"HX-Request": "true"}) for u in urls]
    for i in range(6):  # more history, more past requests, more card edits
        project_services.card_update(project=project, actor=org.researcher, tldr=f"v{i}")
        builders.withdraw(request, org.researcher)
        request = builders.open_advance(org, project, commit_sha=f"{i + 1:040x}")
        builders.pass_checks(request)
    assert [queries(client, u, **{"HX-Request": "true"}) for u in urls] == small


def test_review_page_queries_do_not_grow_with_signoffs_comments_results(db, client):
    org = build_org()
    client.force_login(org.eng)
    first = builders.open_advance(org)
    builders.pass_checks(first)
    builders.comment(first, org.eng, "One comment.")
    # one sign-off at each size: an empty IN (no signer) costs no query at all
    builders.sign(org, first, "lead", "request_changes", tasks=["One task."])
    url_first = reverse("reviews:detail", args=[first.pk])
    checks_first = reverse("reviews:checks", args=[first.pk])
    small = queries(client, url_first), queries(client, checks_first)

    second_project = builders.new_project(org, "busy")
    second = builders.open_advance(org, second_project)
    keys = request_requirements(second).required_checks
    builders.pass_checks(second, except_=keys[:1])
    builders.waive(org, second_project, keys[0], "lead", "Booked.")
    for i in range(6):
        builders.comment(second, org.users[("eng", "prod", "ops")[i % 3]], f"Comment {i}.")
    builders.sign(org, second, "lead", "request_changes", tasks=["More tests."])
    builders.sign(org, second, "lead", "request_changes", tasks=["And docs."])  # supersedes
    url_second = reverse("reviews:detail", args=[second.pk])
    checks_second = reverse("reviews:checks", args=[second.pk])
    assert (queries(client, url_second), queries(client, checks_second)) == small


def test_review_page_with_actions_and_status_fragment_do_not_grow(db, client):
    """A reviewer who may sign and waive: the action checks cost the same at both sizes."""
    org = build_org()
    client.force_login(org.lead)
    first = builders.open_advance(org)
    builders.pass_checks(first)
    builders.comment(first, org.eng, "One comment.")
    builders.waive(org, org.project, request_requirements(first).required_checks[0], "lead", "A.")
    # one sign-off at each size: an empty IN (no signer) costs no query at all
    builders.sign(org, first, "lead", "request_changes", tasks=["One task."])
    pages = [
        reverse("reviews:detail", args=[first.pk]),
        reverse("reviews:status", args=[first.pk]),
        reverse("reviews:signoff", args=[first.pk]),
    ]
    small = [queries(client, u) for u in pages]
    assert b'value="approve"' in client.get(pages[0]).content  # the actions branch ran

    second_project = builders.new_project(org, "busy")
    second = builders.open_advance(org, second_project)
    keys = request_requirements(second).required_checks
    builders.pass_checks(second, except_=keys[:1])
    for key in keys:
        builders.waive(org, second_project, key, "lead", "Booked.")
    for i in range(6):
        builders.comment(second, org.users[("eng", "prod", "ops")[i % 3]], f"Comment {i}.")
    builders.sign(org, second, "lead", "request_changes", tasks=["More tests."])
    pages = [
        reverse("reviews:detail", args=[second.pk]),
        reverse("reviews:status", args=[second.pk]),
        reverse("reviews:signoff", args=[second.pk]),
    ]
    assert [queries(client, u) for u in pages] == small
