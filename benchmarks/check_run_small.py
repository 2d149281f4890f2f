"""Benchmark: a check run on a small ML repository against ``git clone --depth 1``.

On a small repository the fixed cost of a run (processes, queries, writes)
dominates, so this is where it shows. The repository (25 files) is laid out
like a mature ML monorepo: packages with tests, a serving service, configs,
a notebook, CI, and every document the catalog looks for (the corpus entry
``platform-monorepo`` of ``tests/gates/corpus_repos_more.py``, plus a model
module and a notebook of realistic size), with 40 commits of history. It is
served by ``git daemon`` on loopback, and each round measures side by side:

- ``git clone --depth 1`` (and ``--no-checkout``) of it;
- a cold run: empty mirror, no stored facts, the full engine;
- a warm run after one new commit (the mirror and facts kept).

``--breakdown`` adds one round with counters (``benchmarks/run_breakdown.py``):
git processes and their time, database queries and writes, Python time in
checks, stage times.

    .venv/bin/python benchmarks/check_run_small.py [--repeat 15] [--breakdown]
        [--database-url postgres://.../mltrl_bench]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_repos import import_repo
from check_run import REPO_ROOT, Daemon, make_project, setup_django, side_by_side

MODEL_MODULE = '''"""EfficientNet-B0 backbone with a disease classification head."""

import torch
from torch import nn


class Head(nn.Module):
    def __init__(self, features: int, classes: int, dropout: float = 0.2):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(features, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(x.flatten(1)))
'''


def small_tree() -> dict[str, bytes]:
    """25 files: the platform monorepo of the corpus, a model module and a notebook."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.gates.corpus_parts import notebook
    from tests.gates.corpus_repos_more import PLATFORM

    tree = dict(PLATFORM)
    # A realistic module size (~9 KB) and an exploration notebook with outputs (~30 KB).
    tree["packages/trainer/src/trainer/model.py"] = MODEL_MODULE + "\n".join(
        f"\n\ndef block_{i}(x, width={32 * (i + 1)}):\n    return torch.relu(x) * width\n"
        for i in range(60)
    )
    cells = [f"import pandas as pd\ndf = pd.read_csv('leaves_{i}.csv')\ndf.describe()"
             for i in range(40)]  # fmt: skip
    tree["notebooks/01_exploration.ipynb"] = notebook(cells, image_bytes=12_000)
    return {k: v if isinstance(v, bytes) else v.encode() for k, v in tree.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mltrl-bench-small-") as tmp:
        work = Path(tmp)
        setup_django(work, args.database_url)
        logging.disable(logging.WARNING)
        served = work / "served"
        served.mkdir()
        tree = small_tree()
        import_repo(served / "small.git", tree, commits=args.commits, rng=random.Random(7),
                    append=True)  # fmt: skip
        with Daemon(served) as daemon:
            url = daemon.url("small.git")
            project = make_project(url, "small")
            result = side_by_side(served / "small.git", url, project, work, args.repeat,
                                  args.breakdown)  # fmt: skip
        result["database"] = "postgresql" if args.database_url else "sqlite"
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
