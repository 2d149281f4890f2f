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


def test_database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@contextmanager
def celery_worker(extra_env: dict[str, str], *, concurrency: int = 1, log_path: Path):
    """Yield a running worker process (prefork pool); stop it and its children after."""
    url = broker_url_or_skip()
    redis_flush(url)
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": url,
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
        deadline = time.monotonic() + 60
        while b"ready." not in log_path.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
