"""The mirror steps done without git agree with git (``gates.mirror_files``)."""

from __future__ import annotations

import os
import subprocess

from gates.mirror_files import bare_init, branch_heads
from tests.gitrepo import make_repo

ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_AUTHOR_NAME": "Ada",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_COMMITTER_NAME": "Ada",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
}


def _git(repo, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, text=True, env=ENV
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _for_each_ref(repo) -> list[str]:
    return sorted(_git(repo, "for-each-ref", "--format=%(objectname)", "refs/heads/").split())


def test_bare_init_makes_a_repository_git_fetches_into(tmp_path):
    source = make_repo(tmp_path, {"README.md": "hello\n"}, name="source.git", bare=True)
    mirror = tmp_path / "mirror.git"
    bare_init(mirror)
    assert _git(mirror, "rev-parse", "--is-bare-repository").strip() == "true"
    _git(mirror, "fetch", "--quiet", f"file://{source}", "+refs/heads/main:refs/heads/main")
    assert branch_heads(mirror) == _for_each_ref(mirror)
    assert not list(tmp_path.glob("mirror.git.init-*"))  # built beside, renamed into place


def test_branch_heads_read_loose_and_packed_refs_like_git(tmp_path):
    source = make_repo(tmp_path, {"README.md": "hello\n"}, name="source.git", bare=True)
    head = _git(source, "rev-parse", "refs/heads/main").strip()
    tree = _git(source, "rev-parse", "refs/heads/main^{tree}").strip()
    other = _git(source, "commit-tree", tree, "-m", "other").strip()
    _git(source, "update-ref", "refs/heads/feature/x", other)
    _git(source, "update-ref", "refs/tags/v1", other)
    assert sorted(branch_heads(source)) == _for_each_ref(source) == sorted([head, other])
    _git(source, "pack-refs", "--all")
    assert sorted(branch_heads(source)) == _for_each_ref(source)
    _git(source, "update-ref", "refs/heads/main", other)  # loose, newer than the packed one
    assert sorted(branch_heads(source)) == _for_each_ref(source) == [other, other]


def test_branch_heads_leave_unusual_refs_to_git(tmp_path):
    source = make_repo(tmp_path, {"README.md": "hello\n"}, name="source.git", bare=True)
    (source / "refs" / "heads" / "alias").write_text("ref: refs/heads/main\n")
    assert branch_heads(source) is None


def test_fetched_commit_is_what_rev_parse_names_or_left_to_git(repo_factory, monkeypatch):
    from gates.git import Mirror
    from gates.mirror_files import fetched_commit

    asked: list[str] = []
    original = Mirror.resolve

    def spy(self, ref):
        asked.append(ref)
        return original(self, ref)

    monkeypatch.setattr(Mirror, "resolve", spy)
    repo = repo_factory.repo({"a.txt": "one\n"}, bare=True)
    repo_factory.snapshot(repo)
    head = repo_factory.commit(repo, {"a.txt": "two\n"})
    snapshot = repo_factory.snapshot(repo)
    path = snapshot.mirror.path
    assert snapshot.sha == head == _git(path, "rev-parse", "main^{commit}").strip()
    assert fetched_commit(path, "refs/heads/main") == head
    assert asked == []  # read from the ref and the shallow file, git not asked
    # A ref to something the shallow file does not list (here: a tree) is left to git,
    tree = _git(path, "rev-parse", "main^{tree}").strip()
    (path / "refs/heads/odd").write_text(f"{tree}\n")
    assert fetched_commit(path, "refs/heads/odd") is None
    # and so is every ref of a mirror that is not shallow.
    (path / "shallow").unlink()
    assert fetched_commit(path, "refs/heads/main") is None
