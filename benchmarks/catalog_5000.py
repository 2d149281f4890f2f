"""Benchmark: every repository check on a 5,000-file repository, timed one by one.

Builds the repository of ``tests/gates/test_catalog.py`` (``catalog_files``),
fetches it into a mirror and runs each check in this process, printing the
build, fetch and check times and the five slowest checks. The test beside it
asserts the verdicts; timings live here because a busy machine makes them
meaningless as assertions.

    .venv/bin/python benchmarks/catalog_5000.py [--files 5000]

It uses a throw-away SQLite database and folders under a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mltrl-catalog-bench-"))
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "MLTRL_VAR_DIR": str(work / "var"),
            "MLTRL_GIT_FILE_ROOT": str(work / "repos"),
            "MLTRL_GIT_MIRROR_DIR": str(work / "mirrors"),
            "DJANGO_SETTINGS_MODULE": "mltrl_site.settings",
        }
    )
    import django

    django.setup()
    from gates.checks.base import CheckContext, repository_checks
    from gates.checks.config import CONFIG_PATH, config_parse
    from gates.git import Mirror
    from tests.gates.test_catalog import catalog_files
    from tests.gitrepo import make_repo

    files = catalog_files(args.files)
    (work / "repos").mkdir()
    started = time.perf_counter()
    repo = make_repo(work / "repos", files, bare=True)
    built = time.perf_counter()
    mirror = Mirror("bench", f"file://{repo}")
    snapshot = mirror.snapshot(mirror.fetch("main"))
    fetched = time.perf_counter()
    context = CheckContext(snapshot, config_parse(snapshot.read_text(CONFIG_PATH)))
    timings = {}
    for check in repository_checks():
        t0 = time.perf_counter()
        check.run(context)
        timings[check.key] = time.perf_counter() - t0
    total = time.perf_counter() - fetched
    print(
        f"{len(files):,}-file repository: built {built - started:.2f} s, fetched "
        f"{fetched - built:.2f} s, all {len(timings)} repository checks {total:.2f} s"
    )
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    print("  slowest: " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest))


if __name__ == "__main__":
    main()
