"""Benchmark: the secret scan's CPU cost on the generated 5,000-file repository.

Measures, as CPU time (this process plus its git children, so a busy machine
does not distort it), medians of N runs:

- ``git grep`` with the prefilter of the rules before the ML token rules
  (``BASELINE_PREFILTER``) and with the current ``PREFILTER``;
- the whole ``no_secrets`` check with an empty fact store (a cold scan).

    .venv/bin/python benchmarks/secret_scan.py [--files 5000 --repeat 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

BASELINE_PREFILTER = (
    r"(?i)(?:private key|akia|asia|aws[\w.-]{0,20}?secret|gh[pousr]_|github_pat_|glpat-"
    r"|xox[abprs]-|aiza|_live_"
    r"|(?:pass|pwd|secret|token|key|credential)\w*\\?[\"']?[ \t]*(?::=|=>|=|:)[ \t]*\\?[\"'])"
)


def cpu_seconds(action) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.process_time()
    action()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.process_time() - start + children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mltrl-secret-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "mltrl_site.settings",
            "MLTRL_VAR_DIR": str(work / "var"),
            "MLTRL_GIT_FILE_ROOT": str(work),
            "MLTRL_GIT_MIRROR_DIR": str(work / "mirrors"),
        }
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from check_run import generate_repo

    from gates.checks.base import REGISTRY, CheckContext
    from gates.checks.config import config_parse
    from gates.checks.facts import FactStore
    from gates.checks.secret_rules import PREFILTER
    from gates.git import Mirror

    repo = work / "bench.git"
    generate_repo(repo, files=args.files, commits=2)
    mirror = Mirror("bench", f"file://{repo}")
    snapshot = mirror.snapshot(mirror.fetch("main"))
    snapshot.entries()

    def grep(pattern: str) -> None:
        subprocess.run(
            ["git", "--git-dir", str(mirror.path), "grep", "-I", "-n", "-z", "-P", "-e",
             pattern, snapshot.sha],
            capture_output=True,
            check=False,
        )  # fmt: skip

    def scan() -> None:
        REGISTRY["no_secrets"].run(CheckContext(snapshot, config_parse(None), FactStore()))

    for label, action in (
        ("git grep, baseline prefilter", lambda: grep(BASELINE_PREFILTER)),
        ("git grep, current prefilter", lambda: grep(PREFILTER)),
        ("no_secrets check, cold", scan),
    ):
        times = [cpu_seconds(action) for _ in range(args.repeat)]
        print(f"{label:32} {statistics.median(times):.3f} s CPU (median of {args.repeat})")


if __name__ == "__main__":
    main()
