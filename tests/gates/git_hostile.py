"""Helpers of the hostile-corpus tests (tests/gates/test_git_safety.py).

``Box`` is one test's sandbox: served repositories, the mirror cache, and an
``outside`` folder plus a canary path that nothing may create. ``add_entries``
commits raw tree entries (executable files, gitlinks, any path bytes) with git
plumbing, which ``tests.gitrepo`` does not write.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from pathlib import Path

from gates.engine import check_run_execute
from gates.git import Mirror
from gates.models import CheckResult, CheckRun
from gates.runs import check_run_request
from projects.actors import system_actor
from projects.services import project_update
from tests.gitrepo import make_repo
from tests.org import admin_actor

README = "# Vision\n\nThis project detects defects in images of circuit boards for the QA line.\n"


@dataclasses.dataclass
class Box:
    root: Path  # served repositories, also MLTRL_GIT_FILE_ROOT
    mirrors: Path  # MLTRL_GIT_MIRROR_DIR
    outside: Path  # nothing may appear here but what the test planted
    canary: Path  # a hook or injected command would create it
    planted: set[str] = dataclasses.field(default_factory=set)

    def repo(self, files, symlinks=None, *, name: str) -> Path:
        return make_repo(self.root, files, symlinks, name=name)

    def plant(self, name: str, text: str) -> Path:
        self.planted.add(name)
        path = self.outside / name
        path.write_text(text)
        return path


class FileTransport:
    def __init__(self, root: Path):
        self.root = root

    def url(self, name: str) -> str:
        return f"file://{self.root / name}"


def fetch(url: str, branch: str = "main", key: str = "m"):
    mirror = Mirror(key, url)
    return mirror, mirror.snapshot(mirror.fetch(branch))


def run_engine(project, url: str) -> CheckRun:
    project_update(project=project, repository_url=url, actor=admin_actor())
    run = check_run_request(project=project, trigger="manual", actor=system_actor("worker"))
    check_run_execute(run.pk)
    run.refresh_from_db()
    return run


def results_text(run: CheckRun) -> str:
    return json.dumps(list(CheckResult.objects.filter(run=run).values()), default=str)


def pack_bytes(mirror: Mirror) -> int:
    return sum(p.stat().st_size for p in (mirror.path / "objects" / "pack").glob("*.pack"))


def add_entries(repo: Path, entries: dict[bytes, tuple[str, bytes | str]]) -> str:
    """Commit raw tree entries on HEAD: path -> (mode, content, or the SHA of a gitlink).

    Plumbing through a throw-away index, so modes gitrepo does not write (100755,
    160000) and any path bytes work, in bare and non-bare repositories alike.
    """
    index = repo / "hostile-index"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_INDEX_FILE": str(index),
        "GIT_AUTHOR_NAME": "Mallory",
        "GIT_AUTHOR_EMAIL": "mallory@example.org",
        "GIT_COMMITTER_NAME": "Mallory",
        "GIT_COMMITTER_EMAIL": "mallory@example.org",
    }

    def run(*args: str, data: bytes = b"") -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, input=data, capture_output=True, check=True
        )
        return done.stdout.decode()

    run("read-tree", "HEAD")
    lines = b""
    for path, (mode, value) in entries.items():
        sha = value if mode == "160000" else run("hash-object", "-w", "--stdin", data=value)
        lines += b"%s %s\t%s\0" % (mode.encode(), sha.strip().encode(), path)
    run("update-index", "-z", "--index-info", data=lines)
    tree = run("write-tree").strip()
    new = run("commit-tree", tree, "-p", "HEAD", "-m", "hostile entries").strip()
    run("update-ref", "HEAD", new)
    index.unlink()
    return new


def hooks_dir(repo: Path) -> Path:
    return repo / ".git" / "hooks" if (repo / ".git").is_dir() else repo / "hooks"
