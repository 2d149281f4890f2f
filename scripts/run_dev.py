"""Run the demo on one machine: the Django web server and a Celery worker with beat.

Started by ``make run`` (after ``migrate`` and ``seed_demo``); ``--prepare`` runs
those two itself. With no environment set it uses SQLite and Celery's filesystem
transport in ``var/`` (or ``MLTRL_VAR_DIR``); ``DATABASE_URL`` and
``CELERY_BROKER_URL`` are passed through to both processes untouched. The demo's
sample git repositories (``var/demo-repos``, built by ``seed_demo``) are local:
nothing needs the network. The check run the seed left queued for the open
request is the worker's first job.

Each child runs in its own session (process group), so a Ctrl-C in the terminal
reaches only this script, which then stops both groups in order: SIGTERM (Celery's
warm shutdown), and SIGKILL for whatever is still there after a grace period.
If either child dies on its own, the other is stopped and the exit status is 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 20
# How long the web server may take to answer; a loaded machine (CI) may need longer.
START_TIMEOUT_SECONDS = int(os.environ.get("MLTRL_DEV_START_TIMEOUT_S") or 90)


def log(message: str) -> None:
    print(f"run_dev: {message}", flush=True)


def var_dir() -> Path:
    """The same folder the settings use (``MLTRL_VAR_DIR``, else ``var/``)."""
    return Path(os.environ.get("MLTRL_VAR_DIR") or BASE_DIR / "var")


def prepare_var(folder: Path) -> None:
    """Create the folders SQLite, beat and the filesystem broker write into."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.environ.get("CELERY_BROKER_URL", "filesystem://") in ("", "filesystem://"):
        # Kombu's filesystem transport does not create its folders.
        (folder / "celery-queue").mkdir(exist_ok=True)
        (folder / "celery-processed").mkdir(exist_ok=True)


def celery_command() -> list[str]:
    script = Path(sys.executable).with_name("celery")
    return [str(script)] if script.exists() else [sys.executable, "-m", "celery"]


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], cwd=BASE_DIR, check=True)


def start(name: str, command: list[str]) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=BASE_DIR, stdin=subprocess.DEVNULL, start_new_session=True
    )
    log(f"started {name} (pid {process.pid}): {' '.join(command)}")
    return process


def stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM each child, wait, then SIGKILL whatever is left in its process group.

    The first SIGTERM goes to the child alone: Celery's main process then shuts
    its pool down warmly (signalling the pool processes directly would make it
    log them as crashed).
    """
    for name, process in children.items():
        if process.poll() is None:
            log(f"stopping {name} (pid {process.pid})")
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, process in children.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop within {GRACE_SECONDS} s; killing it")
        # Also reaches pool processes a dead parent left behind in its group.
        _signal_group(process, signal.SIGKILL)
        process.wait()
    for name, process in children.items():
        deadline = time.monotonic() + 5
        while _group_alive(process) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _group_alive(process):
            log(f"processes of {name} (group {process.pid}) are still there")


def _group_alive(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # the child leads its own session: pgid == pid


def web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own URL)
            return response.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (OSError, ValueError):
        return False


def demo_repos(folder: Path) -> Path | None:
    """The demo's sample repositories, if seeded (the settings' default file root)."""
    root = Path(os.environ.get("MLTRL_GIT_FILE_ROOT") or folder / "demo-repos")
    return root if root.is_dir() else None


def print_banner(url: str, repos: Path | None = None) -> None:
    sys.path.insert(0, str(BASE_DIR))
    from demo.people import logins_table

    print(f"\n  mltrl is running: {url}\n", flush=True)
    print(logins_table(), flush=True)
    if repos is not None:
        print(
            f"\n  sample repositories (one per project): {repos}\n"
            "  the checks read them; a new commit there is what the next check run sees.",
            flush=True,
        )
    print("\n  Press Ctrl-C to stop the web server and the worker.\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--prepare", action="store_true", help="run migrate and seed_demo before starting"
    )
    args = parser.parse_args(argv)
    host = os.environ.get("HOST") or "127.0.0.1"
    port = os.environ.get("PORT") or "8000"
    folder = var_dir()
    prepare_var(folder)
    # Links in e-mails (sent by the worker) point at this server unless set otherwise.
    os.environ.setdefault("MLTRL_SITE_URL", f"http://{host}:{port}")

    stopping = threading.Event()
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        received.append(signum)
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    if args.prepare:
        try:
            manage("migrate", "--no-input")
            manage("seed_demo")
        except subprocess.CalledProcessError as error:
            if stopping.is_set():
                return 0
            log(f"{' '.join(error.cmd[1:])} failed with status {error.returncode}")
            return 1
        if stopping.is_set():
            return 0

    children = {
        "web server": start(
            "web server",
            [
                sys.executable,
                str(BASE_DIR / "manage.py"),
                "runserver",
                f"{host}:{port}",
                "--noreload",
            ],
        ),
        "celery worker": start(
            "celery worker",
            [
                *celery_command(),
                "-A",
                "mltrl_site",
                "worker",
                "-B",
                # Gate checks are routed to "checks" (CELERY_TASK_ROUTES in the settings).
                "--queues",
                "celery,checks",
                "--schedule",
                str(folder / "celerybeat-schedule"),
                "--loglevel",
                "info",
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY") or "2",
            ],
        ),
    }
    url_host = f"[{host}]" if ":" in host else host
    url = f"http://{url_host}:{port}/"
    started = time.monotonic()
    announced = False
    status = 0
    try:
        while not stopping.is_set():
            dead = [(n, p) for n, p in children.items() if p.poll() is not None]
            if dead:
                name, process = dead[0]
                log(f"{name} exited with status {process.returncode}; stopping the rest")
                status = 1
                break
            if not announced:
                if web_answers(f"{url}accounts/login/"):
                    announced = True
                    print_banner(url, demo_repos(folder))
                elif time.monotonic() - started > START_TIMEOUT_SECONDS:
                    log(f"the web server did not answer {url} within {START_TIMEOUT_SECONDS} s")
                    status = 1
                    break
            stopping.wait(0.5 if announced else 0.2)
        if received:
            log(f"received {signal.Signals(received[0]).name}")
    finally:
        stop(children)
    log("web server and worker stopped")
    return status


if __name__ == "__main__":
    sys.exit(main())
