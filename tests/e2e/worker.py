"""Start a real Celery worker process against the test database and a real broker.

The worker shares the test's PostgreSQL database (committed data only: use
``transactional_db``) and Redis. Each test gets an emptied Redis database so
no message from an earlier run is delivered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[2]


def broker_url_or_skip() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs Redis: set CELERY_BROKER_URL=redis://...")
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a shared database: set DATABASE_URL=postgres://...")
    return url


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def worker_database_url(*, port: int | None = None) -> str:
    """The test database's URL; ``port`` sends the connection through a proxy on loopback."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = "127.0.0.1" if port else db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def database_address() -> tuple[str, int]:
    db = connection.settings_dict
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)


def _service_env(extra_env: dict[str, str], broker_url: str, database_url: str, log_path: Path):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "MLTRL_VAR_DIR": str(log_path.parent / "var"),
        "MLTRL_GIT_ALLOWED_SCHEMES": ",".join(settings.MLTRL_GIT_ALLOWED_SCHEMES),
        "MLTRL_GIT_ALLOWED_HOSTS": ",".join(settings.MLTRL_GIT_ALLOWED_HOSTS),
        **(
            {"MLTRL_GIT_FILE_ROOT": settings.MLTRL_GIT_FILE_ROOT}
            if settings.MLTRL_GIT_FILE_ROOT
            else {}
        ),
        "MLTRL_GIT_MIRROR_DIR": settings.MLTRL_GIT_MIRROR_DIR,
        **extra_env,
    }


@contextmanager
def celery_worker(
    extra_env: dict[str, str],
    *,
    concurrency: int = 1,
    log_path: Path,
    broker_url: str | None = None,
    database_url: str | None = None,
    wait_ready: bool = True,
):
    """Yield a running worker process (prefork pool); stop it and its children after.

    By default it uses the test's Redis database (emptied first) and PostgreSQL;
    ``broker_url`` / ``database_url`` point it elsewhere (a private Redis, a proxy).
    """
    url = broker_url_or_skip()
    if broker_url is None:
        redis_flush(url)
    database_url = database_url or worker_database_url()
    env = _service_env(extra_env, broker_url or url, database_url, log_path)
    command = [
        sys.executable, "-m", "celery", "-A", "mltrl_site", "worker",
        "-Q", "checks,celery", "-c", str(concurrency), "--pool", "prefork",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        if wait_ready:
            _wait_started(process, log_path, b"ready.", "worker")
        yield process
    finally:
        _stop(process)
        log.close()


@contextmanager
def celery_beat(
    extra_env: dict[str, str],
    *,
    log_path: Path,
    broker_url: str | None = None,
    database_url: str | None = None,
):
    """Yield a running ``celery beat`` process (the schedule of settings, periods from env)."""
    url = broker_url_or_skip()
    database_url = database_url or worker_database_url()
    env = _service_env(extra_env, broker_url or url, database_url, log_path)
    command = [
        sys.executable, "-m", "celery", "-A", "mltrl_site", "beat", "-l", "info",
        "-s", str(log_path.parent / "celerybeat-schedule"),
    ]  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_started(process, log_path, b"beat: Starting", "beat")
        yield process
    finally:
        _stop(process)
        log.close()


def _wait_started(process: subprocess.Popen, log_path: Path, marker: bytes, what: str) -> None:
    # Generous: a cold Django + Celery start takes seconds on a loaded 2-core machine.
    deadline = time.monotonic() + 180
    while marker not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
