"""Benchmark: warm check runs as a project's mirror ages, with and without upkeep.

Generates a repository (default 5,000 files, 1,000 commits), serves it with
``git daemon`` on loopback, runs the engine once (cold), then N times adding
one commit before each run (warm runs, as ``check_run.py`` measures them). At
10, 100, 200 and 400 commits of mirror age it prints the median of the last 10
(and 50) warm runs and of their fetches, the files in the mirror and the lines of its ``shallow``
file (then, and the most so far), and how often upkeep
(``gates.mirror_upkeep``) ran and how long it took (its time is inside the
run that ended before it). ``--no-upkeep`` measures the engine
without upkeep, as before it existed.

    .venv/bin/python benchmarks/mirror_age.py [--files 5000 --commits 400] [--no-upkeep]

It uses a throw-away SQLite database and folders under a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_repos import add_commit, generate_repo
from check_run import Daemon, make_project, setup_django, timed_run

AGES = (10, 100, 200, 400)


def _mirror_state(mirrors: Path) -> dict:
    mirror = next(mirrors.glob("*.git"))
    shallow = mirror / "shallow"
    return {
        "files": sum(1 for p in mirror.rglob("*") if p.is_file()),
        "shallow_lines": len(shallow.read_text().split()) if shallow.exists() else 0,
    }


def age(args, work: Path) -> dict:
    import gates.engine

    upkeeps: list[float] = []
    original = gates.engine.mirror_upkeep

    def timed_upkeep(mirror, **kwargs) -> bool:
        start = time.perf_counter()
        done = original(mirror, **kwargs)
        if done:
            upkeeps.append(time.perf_counter() - start)
        return done

    gates.engine.mirror_upkeep = (
        (lambda mirror, **kwargs: False) if args.no_upkeep else timed_upkeep
    )
    fetches: list[float] = []  # the mirror's own part: git fetch, with the size cap's walks
    fetch = gates.engine.Mirror._fetch_refspec

    def timed_fetch(self, *args, **kwargs) -> None:
        start = time.perf_counter()
        fetch(self, *args, **kwargs)
        fetches.append(time.perf_counter() - start)

    gates.engine.Mirror._fetch_refspec = timed_fetch
    served = work / "served"
    served.mkdir()
    generate_repo(served / "bench.git", files=args.files, commits=args.commits_generated)
    rows = []
    with Daemon(served) as daemon:
        project = make_project(daemon.url("bench.git"), "bench")
        timed_run(project)  # cold
        times: list[float] = []
        peak = {"files": 0, "shallow_lines": 0}
        for n in range(1, args.commits + 1):
            add_commit(served / "bench.git", n)
            elapsed, _, _ = timed_run(project)
            times.append(elapsed)
            state = _mirror_state(work / "mirrors")
            peak = {key: max(peak[key], state[key]) for key in peak}
            if n in AGES:
                upkeep_ms = round(statistics.median(upkeeps) * 1000) if upkeeps else None
                rows.append({
                    "age": n, "median_last10_ms": round(statistics.median(times[-10:]) * 1000),
                    "median_last50_ms": round(statistics.median(times[-50:]) * 1000),
                    "fetch_median_last50_ms": round(statistics.median(fetches[-50:]) * 1000),
                    **state, "peak_files": peak["files"],
                    "peak_shallow_lines": peak["shallow_lines"],
                    "upkeeps": len(upkeeps), "upkeep_median_ms": upkeep_ms,
                })  # fmt: skip
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return {"files": args.files, "upkeep": not args.no_upkeep, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--commits-generated", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=max(AGES), help="warm runs, one commit each")
    parser.add_argument("--no-upkeep", action="store_true", help="the engine without upkeep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mltrl-bench-") as tmp:
        work = Path(tmp)
        setup_django(work)
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(age(args, work), indent=2))


if __name__ == "__main__":
    main()
