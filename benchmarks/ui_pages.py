"""Benchmark: server time of the project list, project page and review page at 100 and
10,000 projects.

Builds a throw-away database (``bench_<name>`` beside the one ``DATABASE_URL``
names; PostgreSQL is the point, SQLite works too), the test organisation, a
request 4 -> 5 on ``vision`` with a completed 24-check run, sign-offs,
comments and history, then N projects in bulk (valid rows: project, card,
reviewer teams and the guardian permission rows the services would write,
copied from one project registered through the service), then ``ANALYZE`` as
autovacuum would after such a load. Each page is fetched
with Django's test client as a research-team member, ``--repeat`` times after
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


def _grow(org, count: int, start: int) -> None:
    """Add ``count`` projects in bulk, each with the rows the services would write."""
    from projects.models import MLTRLCard, Project, ProjectGroupObjectPermission

    teams = org.teams
    template = Project.objects.get(slug="vision")
    perms = list(
        ProjectGroupObjectPermission.objects.filter(content_object=template).values_list(
            "group_id", "permission_id"
        )
    )
    reviewer_ids = list(template.reviewer_teams.values_list("pk", flat=True))
    batch = 1000
    for offset in range(0, count, batch):
        rows = [
            Project(
                slug=f"bulk-{start + i}",
                name=f"Bulk model {start + i}",
                team=teams["research"],
                level=(start + i) % 10,
                entry_level=0,
                evidence_level=((start + i) % 10) if i % 3 else None,
                description="A generated project for the page benchmark.",
            )
            for i in range(offset, min(offset + batch, count))
        ]
        made = Project.objects.bulk_create(rows)
        MLTRLCard.objects.bulk_create(MLTRLCard(project=p, tldr="Generated.") for p in made)
        Project.reviewer_teams.through.objects.bulk_create(
            Project.reviewer_teams.through(project_id=p.pk, team_id=t)
            for p in made
            for t in reviewer_ids
        )
        ProjectGroupObjectPermission.objects.bulk_create(
            ProjectGroupObjectPermission(content_object=p, group_id=g, permission_id=perm)
            for p in made
            for g, perm in perms
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    connection, old = _setup_database()
    try:
        from django.test import Client
        from django.urls import reverse

        org, request = _world()
        client = Client()
        client.force_login(org.researcher)
        urls = {
            "project list": reverse("projects:list"),
            "project list, filtered (level 5, q)": reverse("projects:list") + "?level=5&q=model",
            "project page": reverse("projects:detail", args=["vision"]),
            "review page (24-check run)": reverse("reviews:detail", args=[request.pk]),
        }
        from projects.models import Project

        _grow(org, args.small - Project.objects.count(), 0)
        _analyze(connection)
        t0 = time.perf_counter()
        small = _measure(client, urls, args.repeat)
        _grow(org, args.large - args.small, args.small)
        _analyze(connection)
        build_s = round(time.perf_counter() - t0, 1)
        large = _measure(client, urls, args.repeat)

        report = {
            "database": connection.vendor,
            "projects": [args.small, Project.objects.count()],
            "median_ms": {
                name: {
                    "small": small[name],
                    "large": large[name],
                    "ratio": round(large[name] / small[name], 2),
                }
                for name in urls
            },
            "build_s": build_s,
        }
        print(json.dumps(report, indent=2))
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
