"""Benchmark: a check run against a plain shallow clone, and the worker's memory.

Generates a repository (default 5,000 files, 1,000 commits) with git
fast-import, serves it with ``git daemon`` on loopback, and measures side by
side, in one run, each N times (medians reported):

- ``git clone --depth 1`` of it (the baseline),
- a cold check run: empty mirror, the full engine (``check_run_execute``:
  fetch, resolve, every repository check, results stored in the database),
- a warm re-run after one new commit (the mirror is kept).

Then, in a fresh process, one cold check run on a 50,000-file repository and
its peak resident memory (the Python process, and the largest git child).

    .venv/bin/python benchmarks/check_run.py [--files 5000 --commits 1000 --repeat 5]

It uses a throw-away SQLite database and folders under a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_repos import GIT_ENV, add_commit, generate_repo, repo_size  # noqa: E402


class Daemon:
    def __init__(self, root: Path):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.root = root

    def __enter__(self) -> Daemon:
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={self.root}",
             "--listen=127.0.0.1", f"--port={self.port}", str(self.root)],
            env=GIT_ENV, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)
        return self

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait()


def setup_django(work: Path, database_url: str = "") -> None:
    """Django on a throw-away SQLite database, or on ``database_url`` (PostgreSQL: an
    empty database made for the benchmark, e.g. ``dropdb``/``createdb`` before each
    run: audit tables refuse a flush; its tables are created here)."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "mltrl_site.settings",
            "MLTRL_VAR_DIR": str(work / "var"),
            "MLTRL_GIT_MIRROR_DIR": str(work / "mirrors"),
            "MLTRL_GIT_ALLOWED_HOSTS": "127.0.0.1",
            "MLTRL_GIT_ALLOWED_SCHEMES": "git,https",
            "MLTRL_GIT_MAX_FILES": "200000",
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
    )
    if database_url:
        if "bench" not in database_url.rsplit("/", 1)[-1]:
            sys.exit("--database-url: use a throw-away database whose name contains 'bench'.")
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gates.tasks import freeze_startup_objects

    freeze_startup_objects()  # what a worker process does once it has started


def make_project(url: str, slug: str):
    from django.contrib.auth import get_user_model

    from projects import services

    user_model = get_user_model()
    admin = user_model.objects.filter(username="bench-admin").first()
    admin = admin or user_model.objects.create_superuser("bench-admin", password=None)
    team = services.team_create(slug=f"team-{slug}", name=f"Team {slug}", actor=admin)
    return services.project_create(team=team, slug=slug, name=slug, repository_url=url, actor=admin)


def timed_run(project, *, breakdown: bool = False) -> tuple[float, object, dict | None]:
    """Create a run for the branch head and execute it in-process.

    Returns seconds, the run, and with ``breakdown`` where the time went
    (``benchmarks/run_breakdown.py``; the counters cost a little themselves).
    """
    from run_breakdown import Breakdown

    from gates.checks.base import catalog_version, repository_checks
    from gates.engine import check_run_execute
    from gates.models import CheckRun

    keys = [c.key for c in repository_checks()]
    run = CheckRun.objects.create(
        project=project, ref="main", check_set=catalog_version(), check_keys=keys,
        progress_total=len(keys),
    )  # fmt: skip
    counters = Breakdown() if breakdown else None
    with counters.measure() if counters else contextlib.nullcontext():
        cpu = cpu_seconds()
        start = time.perf_counter()
        outcome = check_run_execute(run.pk)
        elapsed = time.perf_counter() - start
        CPU[:] = [cpu_seconds() - cpu]
    run.refresh_from_db()
    if outcome != "done" or run.status != "succeeded":
        raise RuntimeError(f"run ended {run.status}: {run.message}")
    return elapsed, run, counters.report(elapsed) if counters else None


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children waited for so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: list[float] = []  # CPU seconds of the last clone_depth_1 / timed_run, for side_by_side


def clone_depth_1(url: str, target: Path, *extra: str) -> float:
    shutil.rmtree(target, ignore_errors=True)
    cpu = cpu_seconds()
    start = time.perf_counter()
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", *extra, url, str(target)], check=True, env=GIT_ENV
    )
    elapsed = time.perf_counter() - start
    CPU[:] = [cpu_seconds() - cpu]
    return elapsed


def side_by_side(served: Path, url: str, project, work: Path, repeat: int,
                 breakdown: bool) -> dict:  # fmt: skip
    """Rounds of clone, clone --no-checkout, cold run, then a warm run after one commit.

    With ``breakdown``, one more round afterwards is measured with the counters
    (kept apart so the counters' own cost stays out of the medians).
    """
    from gates.models import CheckRun

    size = repo_size(served)
    clones, bare_clones, colds, warms = [], [], [], []
    cpu: dict[str, list[float]] = {"clone": [], "cold": [], "warm": []}
    mirrors = work / "mirrors"
    rounds = repeat + (1 if breakdown else 0)
    cold_report = warm_report = None
    for n in range(rounds):
        counted = breakdown and n == repeat
        if not counted:
            clones.append(clone_depth_1(url, work / "clone"))
            cpu["clone"] += CPU
            bare_clones.append(clone_depth_1(url, work / "clone", "--no-checkout"))
        shutil.rmtree(mirrors, ignore_errors=True)
        CheckRun.objects.all().delete()
        cold, run, cold_report = timed_run(project, breakdown=counted)
        cold_cpu = CPU[0]
        add_commit(served, n)
        warm, _, warm_report = timed_run(project, breakdown=counted)
        if not counted:
            colds.append(cold)
            warms.append(warm)
            cpu["cold"].append(cold_cpu)
            cpu["warm"] += CPU
    clone, cold, warm = (statistics.median(x) for x in (clones, colds, warms))
    bare = statistics.median(bare_clones)
    result = {
        "repository": size, "repeat": repeat, "checks": run.progress_total,
        "clone_depth1_s": [round(x, 3) for x in clones],
        "clone_depth1_no_checkout_s": [round(x, 3) for x in bare_clones],
        "cold_run_s": [round(x, 3) for x in colds],
        "warm_run_s": [round(x, 3) for x in warms],
        "median_clone_s": round(clone, 3), "median_cold_s": round(cold, 3),
        "median_clone_no_checkout_s": round(bare, 3),
        "cold_over_clone_no_checkout": round(cold / bare, 2),
        "median_warm_s": round(warm, 3),
        "cold_over_clone": round(cold / clone, 2), "warm_over_cold": round(warm / cold, 2),
        # CPU time (this process and its git children; not the server's): steadier than
        # wall time on a shared machine, though not what the targets are about.
        "median_cpu_s": {k: round(statistics.median(v), 3) for k, v in cpu.items()},
    }  # fmt: skip
    if breakdown:
        result["breakdown"] = {"cold": cold_report, "warm": warm_report}
    return result


def speed(args, work: Path) -> dict:
    served = work / "served"
    served.mkdir()
    t0 = time.perf_counter()
    generate_repo(served / "bench.git", files=args.files, commits=args.commits)
    generated = time.perf_counter() - t0
    with Daemon(served) as daemon:
        url = daemon.url("bench.git")
        project = make_project(url, "bench")
        result = side_by_side(served / "bench.git", url, project, work, args.repeat,
                              args.breakdown)  # fmt: skip
    return {"generate_s": round(generated, 2), **result}


def memory(args, work: Path) -> dict:
    served = work / "served-big"
    served.mkdir()
    generate_repo(served / "big.git", files=args.memory_files, commits=2)
    with Daemon(served) as daemon:
        project = make_project(daemon.url("big.git"), "big")
        elapsed, run, _ = timed_run(project)
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "files": args.memory_files, "run_s": round(elapsed, 2), "checks": run.progress_total,
        "peak_rss_python_mb": round(self_kb / 1024, 1),
        "peak_rss_largest_git_child_mb": round(children_kb / 1024, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-files", type=int, default=50_000)
    parser.add_argument("--part", choices=["all", "speed", "memory"], default="all")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="one more round with counters: git spawns, queries, checks",
    )
    parser.add_argument(
        "--database-url", default="", help="an empty PostgreSQL database to use instead of SQLite"
    )
    args = parser.parse_args()
    if args.part == "all":
        # Memory is measured in a fresh process so the speed part does not inflate it.
        base = [sys.executable, __file__, "--files", str(args.files), "--commits",
                str(args.commits), "--repeat", str(args.repeat), "--memory-files",
                str(args.memory_files), "--database-url", args.database_url,
                *(["--breakdown"] if args.breakdown else [])]  # fmt: skip
        speed_out = subprocess.run([*base, "--part", "speed"], capture_output=True, text=True)
        memory_out = subprocess.run([*base, "--part", "memory"], capture_output=True, text=True)
        for out in (speed_out, memory_out):
            if out.returncode != 0:
                sys.exit(out.stderr)
        result = {"speed": json.loads(speed_out.stdout), "memory": json.loads(memory_out.stdout)}
        print(json.dumps(result, indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="mltrl-bench-") as tmp:
        work = Path(tmp)
        setup_django(work, args.database_url)
        import logging

        logging.disable(logging.WARNING)
        result = speed(args, work) if args.part == "speed" else memory(args, work)
        print(json.dumps(result))


if __name__ == "__main__":
    main()
