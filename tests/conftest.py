"""Shared fixtures: a small organisation built per test, and real-server detection.

Tests marked ``postgres``, ``redis``, ``worker`` or ``browser`` skip with a
reason on a bare laptop. With ``MLTRL_REQUIRE_SERVICES=1`` (set by ``.ci/run``)
such a skip is turned into a failure, so CI cannot go green by skipping.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection

from .org import Org, build_org

SERVICE_MARKERS = ("postgres", "redis", "worker", "browser")
REQUIRE_SERVICES = os.environ.get("MLTRL_REQUIRE_SERVICES", "") == "1"


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") and not _on_postgres():
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if (
        REQUIRE_SERVICES
        and report.skipped
        and any(item.get_closest_marker(m) for m in SERVICE_MARKERS)
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"MLTRL_REQUIRE_SERVICES=1 but this test skipped: {reason}"


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org(db) -> Org:
    """Teams research / engineering / product / ethics-ops, their people, one project."""
    return build_org()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Unit tests run tasks in-process; tests marked ``worker`` use a real worker."""
    from mltrl_site.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path):
    """Each test anchors into its own file, never the checkout's var/."""
    settings.MLTRL_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.jsonl")


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_truncate_guard():
    """Let Django's test flush (TRUNCATE) through the audit tables' TRUNCATE trigger.

    Production never flushes; transactional tests do after each test. The trigger
    is lifted only inside the flush's own statements.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        guarded = [t for t in ("projects_auditevent", "projects_auditchain") if t in tables]
        if not statements or not guarded:
            return statements
        off = [f"ALTER TABLE {t} DISABLE TRIGGER {t}_no_truncate;" for t in guarded]
        on = [f"ALTER TABLE {t} ENABLE TRIGGER {t}_no_truncate;" for t in guarded]
        return off + statements + on

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original
