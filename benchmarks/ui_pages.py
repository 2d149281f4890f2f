"""Benchmark: server time of the project list, project page and review page at 100 and
10,000 projects.

Builds a throw-away database (``bench_<name>`` beside the one ``DATABASE_URL``
names; PostgreSQL is the point, SQLite works too), the test organisation, a
request 4 -> 5 on ``vision`` with a completed 24-check run, sign-offs,
comments and history, then N projects in bulk (valid rows: project, card,
reviewer teams and the guardian permission rows the services would write,
copied from one project registered through the service), then ``ANALYZE`` as
autovacuum would after such a load. Each page is fetched
with Django's test client as a research-team member (``--viewer eng``: an
engineering member, who sees every project through its reviewer team; ``--teams``
spreads the projects over more owning teams; by default research owns them
all, so the viewer sees every one), ``--repeat`` times after
a warm-up; the median server time is reported, at 100 projects and again after
growing to 10,000.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/ui_pages.py [--large 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrl_site.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")


def _setup_database():
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = (
        None if connection.vendor == "sqlite" else f"bench_{Path(str(name)).stem}"
    )
    old = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection, old


def _templates(org, teams: int) -> list:
    """One project per owning team registered through the service: research, plus
    ``teams`` generated teams; the bulk rows copy its permission rows."""
    from projects.models import Project
    from projects.services import project_create, team_create
    from tests.org import admin_actor

    reviewers = [org.teams[t] for t in ("engineering", "product", "ethics-ops")]
    out = [Project.objects.get(slug="vision")]
    for i in range(teams):
        team = team_create(slug=f"bench-team-{i}", name=f"Bench team {i}", actor=admin_actor())
        out.append(
            project_create(
                team=team,
                slug=f"bench-template-{i}",
                name=f"Bench template {i}",
                actor=admin_actor(),
                reviewer_teams=reviewers,
            )
        )
    return out


def _grow(templates: list, count: int, start: int) -> None:
    """Add ``count`` projects in bulk, round-robin over the templates' owning teams, each
    with the rows the services would write (card, reviewer teams, permission rows)."""
    from projects.models import MLTRLCard, Project, ProjectGroupObjectPermission

    shapes = [
        (
            t.team_id,
            list(t.reviewer_teams.values_list("pk", flat=True)),
            list(
                ProjectGroupObjectPermission.objects.filter(content_object=t).values_list(
                    "group_id", "permission_id"
                )
            ),
        )
        for t in templates
    ]
    batch = 1000
    for offset in range(0, count, batch):
        numbers = range(start + offset, start + min(offset + batch, count))
        made = Project.objects.bulk_create(
            Project(
                slug=f"bulk-{n}",
                name=f"Bulk model {n}",
                team_id=shapes[n % len(shapes)][0],
                level=n % 10,
                entry_level=0,
                evidence_level=(n % 10) if n % 3 else None,
                description="A generated project for the page benchmark.",
            )
            for n in numbers
        )
        owner = {p.pk: shapes[n % len(shapes)] for p, n in zip(made, numbers, strict=True)}
        MLTRLCard.objects.bulk_create(MLTRLCard(project=p, tldr="Generated.") for p in made)
        Project.reviewer_teams.through.objects.bulk_create(
            Project.reviewer_teams.through(project_id=p.pk, team_id=t)
            for p in made
            for t in owner[p.pk][1]
        )
        ProjectGroupObjectPermission.objects.bulk_create(
            ProjectGroupObjectPermission(content_object=p, group_id=g, permission_id=perm)
            for p in made
            for g, perm in owner[p.pk][2]
        )


def _world():
    from gates.checks.base import repository_checks
    from gates.services import check_run_record_completed
    from projects.actors import system_actor
    from reviews import services
    from tests.org import build_org
    from tests.reviews.steps import enter_at, fill_card, open_advance

    org = build_org()
    enter_at(org, 4)
    request = open_advance(org)
    fill_card(org.project)
    keys = [c.key for c in repository_checks()]
    keys = (keys + [f"extra_check_{i}" for i in range(24)])[:24]
    check_run_record_completed(
        project=org.project,
        commit_sha=request.commit_sha,
        results=[
            {"check_key": k, "outcome": "fail" if i % 5 == 0 else "pass", "message": f"{k} ok"}
            for i, k in enumerate(keys)
        ],
        actor=system_actor("worker"),
    )
    services.signoff_record(level_request=request, actor=org.lead, decision="approve")
    for i in range(5):
        services.comment_add(level_request=request, actor=org.eng, body=f"Comment {i}.")
    return org, request


def _analyze(connection) -> None:
    """Refresh the planner's statistics, as autovacuum does after a bulk load."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _measure(client, urls: dict[str, str], repeat: int) -> dict[str, float]:
    out = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = round(statistics.median(times), 1)
    return out


def _with_next_page(client, urls: dict[str, str]) -> dict[str, str]:
    """The URLs plus the list's second page (the cursor link the first page offers),
    when the viewer sees more than one page."""
    import html
    import re

    body = client.get(urls["project list"]).content.decode()
    found = re.search(r'<a href="(\?[^"]*)" rel="next">', body)
    if not found:
        return urls
    return {**urls, "project list, next page": urls["project list"] + html.unescape(found[1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--teams",
        type=int,
        default=0,
        help="spread the projects over research and this many more owning teams "
        "(0: research owns them all, so the viewer sees every one: the worst case)",
    )
    parser.add_argument(
        "--viewer",
        choices=["researcher", "eng"],
        default="researcher",
        help="who reads the pages: a research member (sees what research owns) or an "
        "engineering member (sees every project through its reviewer team)",
    )
    args = parser.parse_args()
    connection, old = _setup_database()
    try:
        from django.test import Client
        from django.urls import reverse

        org, request = _world()
        client = Client()
        viewer = getattr(org, args.viewer)
        client.force_login(viewer)
        urls = {
            "project list": reverse("projects:list"),
            "project list, filtered (level 5, q)": reverse("projects:list") + "?level=5&q=model",
            "project page": reverse("projects:detail", args=["vision"]),
            "review page (24-check run)": reverse("reviews:detail", args=[request.pk]),
        }
        from projects.models import Project

        templates = _templates(org, args.teams)
        _grow(templates, args.small - Project.objects.count(), 0)
        _analyze(connection)
        t0 = time.perf_counter()
        small = _measure(client, _with_next_page(client, urls), args.repeat)
        _grow(templates, args.large - args.small, args.small)
        _analyze(connection)
        build_s = round(time.perf_counter() - t0, 1)
        large = _measure(client, _with_next_page(client, urls), args.repeat)

        from projects.permissions import projects_for

        report = {
            "database": connection.vendor,
            "projects": [args.small, Project.objects.count()],
            "owning_teams": 1 + args.teams,
            "viewer": args.viewer,
            "visible_to_viewer": projects_for(viewer).count(),
            "median_ms": {
                name: {
                    "small": small[name],
                    "large": large[name],
                    "ratio": round(large[name] / small[name], 2),
                }
                for name in large
                if name in small
            },
            "build_s": build_s,
        }
        print(json.dumps(report, indent=2))
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
