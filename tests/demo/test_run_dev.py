"""``scripts/run_dev.py`` as a real process: web server plus Celery worker, clean stop.

Each test gets its own ``MLTRL_VAR_DIR`` (fresh SQLite database, filesystem
broker folders, demo repositories and git mirrors) and a free port;
DATABASE_URL, CELERY_BROKER_URL and the git folder settings are removed so the
embedded defaults are what is exercised.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
RUN_DEV = BASE_DIR / "scripts" / "run_dev.py"

pytestmark = pytest.mark.worker


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(var_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
        and not k.startswith("MLTRL_GIT_")
    }
    env.update(
        MLTRL_VAR_DIR=str(var_dir),
        MLTRL_FAST_PASSWORD_HASHER="1",
        HOST="127.0.0.1",
        PORT=str(port),
        CELERY_CONCURRENCY="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait_for(what: str, condition: Callable[[], bool], process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        assert process.poll() is None, f"run_dev exited ({process.returncode}) before {what}"
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _open_request_run(database: Path) -> tuple[str, int | None] | None:
    """(status, project evidence level) of the run the seed left queued for the open request."""
    if not database.exists():
        return None
    uri = f"file:{database}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        try:
            return db.execute(
                """SELECT run.status, project.evidence_level
                FROM reviews_levelchangerequest AS request
                JOIN gates_checkrun AS run
                    ON run.project_id = request.project_id AND run.commit_sha = request.commit_sha
                JOIN projects_project AS project ON project.id = request.project_id
                WHERE request.state = 'open' AND run.status != 'cancelled'"""
            ).fetchone()
        except sqlite3.OperationalError:  # not migrated yet, or busy
            return None


def _child_pids(log: str) -> dict[str, int]:
    return {
        name: int(pid)
        for name, pid in re.findall(r"started (web server|celery worker) \(pid (\d+)\)", log)
    }


def test_serves_runs_a_worker_and_stops_both_on_sigint(tmp_path):
    port = _free_port()
    log_path = tmp_path / "run_dev.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, str(RUN_DEV), "--prepare"],
            cwd=BASE_DIR,
            env=_env(tmp_path / "var", port),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = f"http://127.0.0.1:{port}/admin/login/"
        _wait_for("the web server", lambda: _answers(url), process, timeout=240)
        assert _answers(f"http://127.0.0.1:{port}/accounts/login/")  # the browser UI's sign-in
        _wait_for("the worker", lambda: " ready." in log_path.read_text(), process, timeout=90)
        # The seed left the open request's run queued; the worker takes it from the broker.
        database = tmp_path / "var" / "mltrl.sqlite3"
        _wait_for(
            "the worker to run the open request's checks",
            lambda: (_open_request_run(database) or ("",))[0] == "succeeded",
            process,
            timeout=30,
        )
        assert _open_request_run(database)[1] == 5  # its results set the evidence level
        # The task logs its return after the run commits and the signal receivers
        # (re-evaluation, at-risk assessment) ran: wait for the line, do not race it.
        _wait_for(
            "the task's 'done'", lambda: "'done'" in log_path.read_text(), process, timeout=60
        )
        _wait_for("the banner", lambda: "mltrl-demo" in log_path.read_text(), process, timeout=10)
        pids = _child_pids(log_path.read_text())
        assert set(pids) == {"web server", "celery worker"}
        assert all(_group_alive(pid) for pid in pids.values())
        assert (tmp_path / "var" / "celery-queue").is_dir()

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        deadline = time.monotonic() + 10
        while any(_group_alive(pid) for pid in pids.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_group_alive(pid) for pid in pids.values())
        assert not _answers(url)
        assert "Warm shutdown" in log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _child_pids(log_path.read_text()).values():
            if _group_alive(pid):
                os.killpg(pid, signal.SIGKILL)


def test_a_dying_child_stops_the_other_and_fails(tmp_path):
    with socket.socket() as busy:  # the web server cannot bind: it exits at once
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(RUN_DEV)],
            cwd=BASE_DIR,
            env=_env(tmp_path / "var", port),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "web server exited with status" in output
    pids = _child_pids(output)
    assert "celery worker" in pids
    assert not _group_alive(pids["celery worker"])  # run_dev waits until the group is gone
