"""Benchmark: the portfolio dashboard's server time at 100 and at 10,000 projects, side by side.

Creates two throw-away PostgreSQL databases beside the one ``DATABASE_URL``
names (``<name>_pf_small`` and ``<name>_pf_large``), migrates them, seeds them
with ``manage.py seed_portfolio`` (100 and 10,000 projects by default; about 20
audit events per project), then, in one process per database, renders
``/portfolio/?days=365``, ``/portfolio/`` as a manager opens it (the default
90-day window) and ``/api/v1/portfolio/?days=365`` for an organisation-wide manager
through Django's test client: warm-up requests first, then ``--repeat`` timed
ones. The median server time of each and their ratio are printed, then the
time of each table's builder alone (and JSON with ``--json``). The databases
are dropped at the end unless ``--keep`` (``--reuse`` measures kept ones).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mltrl \\
        .venv/bin/python benchmarks/portfolio.py [--small 100 --large 10000 --repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _url_with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _admin(url: str, sql: str, db: str | None = "postgres") -> None:
    """Run ``sql`` outside a transaction, in ``db`` (None: the database ``url`` names)."""
    import psycopg

    with psycopg.connect(_url_with_db(url, db) if db else url, autocommit=True) as conn:
        conn.execute(sql)


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


MEASURE = r"""
import json, statistics, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from projects.models import AuditEvent, Project

repeat = int(sys.argv[1])
user, _ = get_user_model().objects.get_or_create(username="bench-manager")
view = Permission.objects.get(content_type__app_label="projects", codename="view_project")
user.user_permissions.add(view)
client = Client()
client.force_login(user)
out = {"projects": Project.objects.count(), "audit_events": AuditEvent.objects.count()}
for name, url in (
    ("page", "/portfolio/?days=365"),
    ("page_90d", "/portfolio/"),
    ("api", "/api/v1/portfolio/?days=365"),
):
    for _ in range(3):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    median = round(1000 * statistics.median(times), 1)
    out[name] = {"median_ms": median, "queries": len(ctx.captured_queries)}
# Per table: the builder alone (queries and Python), median of the same repeats.
from django.http import QueryDict
from portfolio.dashboard import BUILDERS, dashboard_tables
from portfolio.filters import filters_parse
f = filters_parse(QueryDict("days=365"))
out["tables"] = {}
for key in BUILDERS:
    times = []
    for _ in range(max(3, repeat // 3)):
        start = time.perf_counter()
        dashboard_tables(user, f, only=key)
        times.append(time.perf_counter() - start)
    out["tables"][key] = round(1000 * statistics.median(times), 1)
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Measure databases kept by an earlier --keep run (migrated, not re-seeded).",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (the benchmark is for it).")
    name = urlsplit(base).path.lstrip("/")
    sizes = {"small": args.small, "large": args.large}
    envs = {}
    results = {}
    try:
        for label, size in sizes.items():
            db = f"{name}_pf_{label}"
            if not args.reuse:
                _admin(base, f'DROP DATABASE IF EXISTS "{db}"')
                _admin(base, f'CREATE DATABASE "{db}"')
            env = {
                **os.environ,
                "DATABASE_URL": _url_with_db(base, db),
                "DEBUG": "1",
                "ALLOWED_HOSTS": "testserver",
            }
            env.pop("MLTRL_REQUIRE_SERVICES", None)
            envs[label] = env
            _manage(env, "migrate", "--no-input")
            if args.reuse:
                continue
            started = time.monotonic()
            summary = _manage(env, "seed_portfolio", "--projects", str(size))
            # A database in use is vacuumed and analysed by autovacuum; do it now.
            _admin(env["DATABASE_URL"], "VACUUM ANALYZE", db=None)
            print(
                f"{label}: {summary.strip()} ({time.monotonic() - started:.0f} s)", file=sys.stderr
            )
        for label in sizes:  # measured one after the other in this run, same machine state
            done = subprocess.run(
                [PY, "-c", MEASURE, str(args.repeat)],
                cwd=REPO_ROOT,
                env={**envs[label], "DJANGO_SETTINGS_MODULE": "mltrl_site.settings"},
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            results[label] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if not (args.keep or args.reuse):
            for label in envs:
                _admin(base, f'DROP DATABASE IF EXISTS "{name}_pf_{label}"')
    small, large = results["small"], results["large"]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'':24}{'small':>12}{'large':>12}{'ratio':>8}")
    print(f"{'projects':24}{small['projects']:>12}{large['projects']:>12}")
    print(f"{'audit events':24}{small['audit_events']:>12}{large['audit_events']:>12}")
    for key in ("page", "page_90d", "api"):
        a, b = small[key]["median_ms"], large[key]["median_ms"]
        print(f"{key + ' median ms':24}{a:>12}{b:>12}{b / a:>8.2f}")
        print(f"{key + ' queries':24}{small[key]['queries']:>12}{large[key]['queries']:>12}")
    for key, a in small["tables"].items():
        b = large["tables"][key]
        print(f"{'  table ' + key + ' ms':24}{a:>12}{b:>12}{b / max(a, 0.1):>8.2f}")


if __name__ == "__main__":
    main()
