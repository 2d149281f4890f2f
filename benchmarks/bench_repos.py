"""Repositories for the check-run benchmarks: generated with ``git fast-import``,
grown by one commit between a cold and a warm run, and measured (files,
bytes, commits). Used by ``check_run.py`` and ``check_run_small.py``.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

GIT_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "LC_ALL": "C",
}
WORDS = [
    "model",
    "data",
    "train",
    "eval",
    "metric",
    "loss",
    "batch",
    "feature",
    "label",
    "drift",
    "pipeline",
    "score",
    "vector",
    "tensor",
    "sample",
    "split",
    "layer",
    "weight",
    "bias",
    "gradient",
    "epoch",
    "tokenizer",
]


def _text(rng: random.Random, size: int) -> bytes:
    words = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    return (" ".join(words) + "\n").encode()


def _path(n: int) -> str:
    kinds = (
        "src/pkg{}/module_{}.py",
        "tests/test_{}_{}.py",
        "docs/page{}_{}.md",
        "conf/exp{}_{}.yaml",
    )
    return kinds[n % 4].format(n // 400, n)


def generate_repo(path: Path, *, files: int, commits: int, seed: int = 7) -> None:
    """A bare repository: one commit with ``files`` files, then small commits touching 3 files."""
    rng = random.Random(seed)
    tree = {_path(n): _text(rng, rng.randint(400, 3000)) for n in range(files)}
    tree["README.md"] = b"# Bench\n\n## Purpose\n\nA generated repository for benchmarks.\n"
    import_repo(path, tree, commits=commits, rng=rng)


def import_repo(
    path: Path, tree: dict[str, bytes], *, commits: int, rng: random.Random, append: bool = False
) -> None:
    """A bare repository: ``commits`` commits, the first adding ``tree``, each later one
    rewriting 3 of its files with generated text (``append``: adding a line to them)."""
    subprocess.run(
        ["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, env=GIT_ENV
    )
    subprocess.run(
        ["git", "-C", str(path), "config", "uploadpack.allowFilter", "true"],
        check=True,
        env=GIT_ENV,
    )
    importer = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE, env=GIT_ENV
    )
    out = importer.stdin
    mark = 0
    when = 1_700_000_000

    def commit(changes: dict[str, bytes], message: str) -> None:
        # Each commit continues the branch fast-import is building.
        nonlocal mark, when
        marks = {}
        for name, data in changes.items():
            mark += 1
            marks[name] = mark
            out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
        when += 60
        msg = message.encode()
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Bench <bench@example.org> %d +0000\n" % when)
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        for name, blob in marks.items():
            out.write(b"M 100644 :%d %s\n" % (blob, name.encode()))
        out.write(b"\n")

    commit(tree, "initial")
    names = sorted(tree)
    if append:  # files that take a comment line without changing what they say
        names = [n for n in names if n.endswith((".md", ".py", ".yaml", ".yml"))]
    for number in range(1, commits):
        picked = rng.sample(names, 3)
        if append:
            for name in picked:
                note = "<!-- revision {} -->" if name.endswith(".md") else "# revision {}"
                tree[name] += ("\n" + note.format(number) + "\n").encode()
            changed = {name: tree[name] for name in picked}
        else:
            changed = {name: _text(rng, rng.randint(400, 3000)) for name in picked}
        commit(changed, f"change {number}")
    out.close()
    if importer.wait() != 0:
        raise RuntimeError("git fast-import failed")


def add_commit(path: Path, number: int) -> None:
    """One more commit on main touching one file (through a temporary work tree)."""
    data = f"edit {number}\n".encode()
    blob = subprocess.run(
        ["git", "-C", str(path), "hash-object", "-w", "--stdin"],
        input=data, capture_output=True, check=True, env=GIT_ENV,
    ).stdout.decode().strip()  # fmt: skip
    index = path / "bench.index"
    env = {**GIT_ENV, "GIT_INDEX_FILE": str(index), "GIT_AUTHOR_NAME": "B",
           "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "B",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    git = ["git", "-C", str(path)]
    subprocess.run([*git, "read-tree", "main"], check=True, env=env)
    subprocess.run([*git, "update-index", "--add", "--cacheinfo", f"100644,{blob},EDITS.md"],
                   check=True, env=env)  # fmt: skip
    tree = subprocess.run([*git, "write-tree"], capture_output=True, check=True, env=env)
    new = subprocess.run(
        [*git, "commit-tree", tree.stdout.decode().strip(), "-p", "main", "-m", f"edit {number}"],
        capture_output=True, check=True, env=env,
    ).stdout.decode().strip()  # fmt: skip
    subprocess.run([*git, "update-ref", "refs/heads/main", new], check=True, env=env)
    index.unlink(missing_ok=True)


def repo_size(path: Path) -> dict:
    """Files, bytes and commits of the served repository's main branch."""
    git = ["git", "-C", str(path)]
    listing = subprocess.run([*git, "ls-tree", "-r", "-l", "main"], capture_output=True,
                             check=True, env=GIT_ENV).stdout.decode().splitlines()  # fmt: skip
    commits = subprocess.run([*git, "rev-list", "--count", "main"], capture_output=True,
                             check=True, env=GIT_ENV).stdout.decode().strip()  # fmt: skip
    sizes = [int(line.split()[3]) for line in listing]
    return {"files": len(sizes), "bytes": sum(sizes), "commits": int(commits)}
