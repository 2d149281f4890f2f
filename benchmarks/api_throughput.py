"""Benchmark: API throughput against a bare Django JSON view doing the same queries.

Seeds PostgreSQL with N projects (default 10,000) of one team, starts gunicorn on
loopback serving the site plus two bare views (``benchmarks/api_bench_urls.py``),
and measures, side by side in one run, requests per second of

- ``GET /api/v1/projects/?page=K`` vs ``GET /bare/projects/?page=K`` (50 rows a page),
- ``GET /api/v1/projects/<slug>/gate/?level=1&commit=SHA`` vs its bare twin,

with a small load generator of its own: C threads, each a bounded loop of R
requests over keep-alive ``http.client`` connections to 127.0.0.1, alternating
rounds of API and bare so drift in machine load hits both alike.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/api_throughput.py \
        [--projects 10000 --concurrency 4 --requests 300 --rounds 3 --workers 2]

It creates (and drops) its own database ``<name>_apibench`` beside DATABASE_URL's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
SHA = "a" * 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(n: int) -> str:
    """Seed the benchmark database; return an API token of a member of the team."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from guardian.shortcuts import assign_perm  # noqa: F401 (guardian loaded)

    from projects import services
    from projects.models import Project, ProjectGroupObjectPermission
    from projects.tokens import token_create
    from tests.org import admin_actor, make_user

    admin = admin_actor()
    team = services.team_create(slug="bench", name="Bench", actor=admin)
    user = make_user("bench-user")
    services.membership_add(team=team, user=user, actor=admin)
    first = services.project_create(team=team, slug="p00000", name="P0", actor=user)
    perms = list(ProjectGroupObjectPermission.objects.filter(content_object=first))
    with transaction.atomic():
        projects = Project.objects.bulk_create(
            Project(slug=f"p{i:05d}", name=f"P{i}", team=team) for i in range(1, n)
        )
        ProjectGroupObjectPermission.objects.bulk_create(
            ProjectGroupObjectPermission(
                content_object=p, group_id=row.group_id, permission_id=row.permission_id
            )
            for p in projects
            for row in perms
        )
    return token_create(user=user, name="bench", scopes=["read"], actor=user).text


def _load(port: int, paths: list[str], token: str, concurrency: int, requests: int) -> float:
    """Requests per second of ``concurrency`` threads each doing ``requests`` GETs."""
    errors: list[str] = []

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(requests):
            conn.request(
                "GET",
                paths[(offset + i) % len(paths)],
                headers={"Authorization": f"Bearer {token}", "Host": "127.0.0.1"},
            )
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(f"{response.status} {paths[(offset + i) % len(paths)]}")
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise SystemExit(f"non-200 answers, e.g. {errors[:3]}")
    return concurrency * requests / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server (the benchmark's subject).")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") + "_apibench"
    bench_url = urlunsplit(parts._replace(path="/" + name))
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "api_bench_settings",
        "PYTHONPATH": f"{REPO}:{REPO / 'benchmarks'}",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "k" * 40,
        "MLTRL_AUDIT_KEY": "benchmark-only-" + "a" * 40,
        "CELERY_BROKER_URL": "memory://",
    }
    os.environ.update(env)
    sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
    token = _seed(args.projects)
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "api_bench_wsgi:application",
        ],
        cwd=REPO,
        env={**env, "PYTHONPATH": env["PYTHONPATH"]},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        pages = max(1, args.projects // 50)
        cases = {
            "project list": (
                [f"/api/v1/projects/?page={1 + k * 37 % pages}" for k in range(50)],
                [f"/bare/projects/?page={1 + k * 37 % pages}" for k in range(50)],
            ),
            "gate query": (
                [
                    f"/api/v1/projects/p{k * 97 % args.projects:05d}/gate/?level=1&commit={SHA}"
                    for k in range(50)
                ],
                [
                    f"/bare/projects/p{k * 97 % args.projects:05d}/gate/?level=1&commit={SHA}"
                    for k in range(50)
                ],
            ),
        }
        _load(port, cases["project list"][0][:4], token, 1, 8)  # warm both workers
        report = {}
        for label, (api_paths, bare_paths) in cases.items():
            api, bare = [], []
            for _ in range(args.rounds):
                api.append(_load(port, api_paths, token, args.concurrency, args.requests))
                bare.append(_load(port, bare_paths, token, args.concurrency, args.requests))
            a, b = statistics.median(api), statistics.median(bare)
            report[label] = {
                "api_rps": round(a, 1),
                "bare_rps": round(b, 1),
                "ratio": round(a / b, 2),
            }
        print(json.dumps({"projects": args.projects, **vars(args), "results": report}, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
