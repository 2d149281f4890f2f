"""A listing patched from the previous commit's equals a fresh ``git ls-tree``.

A warm run keeps its listing (``gates.listing``) and the next run applies the
paths git reports changed to it instead of listing the tree again. Each step
below is committed on top of the previous one (every kind of change a tree can
see: edits, additions in git's tricky sort positions, removals, renames, the
executable bit, a file turned symlink, submodules added and moved, a file
turned folder, a blob over the fetch cap), and the patched listing of the new
commit must equal, entry for entry and in order, what ``ls-tree`` gives.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from gates.git import GitError, RepoSnapshot
from gates.listing import journal_path, listing_load, listing_save
from tests.gitrepo import AUTHOR, FIXED_ENV, _data, _quote, git

CAP = 2_000  # the fetch's blob cap in these tests: BIG is never downloaded
BIG = "x" * 5_000
SUBMODULE_A = "1" * 40
SUBMODULE_B = "2" * 40
BASE = {
    "README.md": ("100644", "# Listing\n"),
    "src/model.py": ("100644", "def f():\n    return 1\n"),
    "src/util.py": ("100644", "X = 1\n"),
    "docs/guide.md": ("100644", "Guide\n"),
    "run.sh": ("100644", "echo run\n"),
    "a/x.txt": ("100644", "in a\n"),
}
# (name, {path: (mode, content) or None}); content is a SHA for mode 160000.
STEPS = [
    ("a file edited", {"src/model.py": ("100644", "def f():\n    return 2\n")}),
    ("files added where git's order is tricky",
     {"a.b": ("100644", "dot\n"), "a-": ("100644", "dash\n"), "ab/x.txt": ("100644", "ab\n"),
      "Z.md": ("100644", "upper\n"), "é.md": ("100644", "accent\n"),
      b"caf\xe9.txt": ("100644", "latin-1 name\n"), "0.txt": ("100644", "zero\n"),
      # not UTF-8: as bytes before "né", as decoded text after it
      b"n\x80.txt": ("100644", "stray byte\n"), "né.txt": ("100644", "accent\n")}),
    ("a file removed", {"docs/guide.md": None}),
    ("a file renamed", {"src/util.py": None, "src/helpers.py": ("100644", "X = 1\n")}),
    ("the executable bit set", {"run.sh": ("100755", "echo run\n")}),
    ("a file replaced by a symlink", {"README.md": ("120000", "docs/README.md")}),
    ("a submodule added", {"vendor/lib": ("160000", SUBMODULE_A)}),
    ("the submodule moved to another commit", {"vendor/lib": ("160000", SUBMODULE_B)}),
    ("a file turned into a folder", {"a.b": None, "a.b/inner.txt": ("100644", "inner\n")}),
    ("a blob over the fetch cap added", {"data/big.csv": ("100644", BIG)}),
    ("the big blob copied, a small one emptied",
     {"data/copy.csv": ("100644", BIG), "0.txt": ("100644", "")}),
    ("the submodule and the symlink removed", {"vendor/lib": None, "README.md": None}),
    ("nothing changed in the tree", {}),
]  # fmt: skip


def _commit(repo, files: dict, message: str) -> str:
    """One commit through ``git fast-import`` with any mode, gitlinks included."""
    ref = b"refs/heads/main"
    parent = git(repo, "for-each-ref", "--format=%(refname)", ref.decode()).strip()
    stream = bytearray(b"commit %s\nauthor %s\ncommitter %s\n" % (ref, AUTHOR, AUTHOR))
    stream += _data(message.encode())
    if parent:
        stream += b"from %s^0\n" % ref
    for path, change in files.items():
        if change is None:
            stream += b"D %s\n" % _quote(path)
        elif change[0] == "160000":
            stream += b"M 160000 %s %s\n" % (change[1].encode(), _quote(path))
        else:
            stream += b"M %s inline %s\n" % (change[0].encode(), _quote(path))
            stream += _data(change[1].encode())
    stream += b"done\n"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), **FIXED_ENV}
    subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=repo, env=env, input=bytes(stream), check=True, capture_output=True,
    )  # fmt: skip
    return git(repo, "rev-parse", "refs/heads/main").strip()


def _fresh(snapshot) -> list:
    """The tree as ``ls-tree`` lists it (a snapshot of its own: nothing patched)."""
    return list(RepoSnapshot(snapshot.mirror, snapshot.sha).entries().items())


def _patched(snapshot, rows, changed) -> RepoSnapshot:
    patched = RepoSnapshot(snapshot.mirror, snapshot.sha)
    patched.patch_listing(rows, changed)

    def no_ls_tree():
        raise AssertionError("listed with ls-tree instead of patching")

    patched._iter_tree = no_ls_tree
    return patched


@pytest.fixture
def repo(repo_factory):
    repo = repo_factory.repo({}, bare=True)
    _commit(repo, BASE, "base")
    return repo


@pytest.mark.parametrize("journal", [True, False], ids=["journaled", "written-whole"])
def test_patched_listings_equal_ls_tree_after_every_kind_of_change(
    repo_factory, repo, tmp_path, journal
):
    path = tmp_path / "listing"
    snapshot = repo_factory.snapshot(repo, max_blob_bytes=CAP)
    listing_save(path, snapshot.sha, snapshot.entries(), blob_cap=CAP)
    for name, files in STEPS:
        previous = snapshot.sha
        sha = _commit(repo, files, name)
        snapshot = repo_factory.snapshot(repo, max_blob_bytes=CAP)
        assert snapshot.sha == sha
        changed = snapshot.mirror.changed_paths(previous, sha)
        rows = listing_load(path, previous, blob_cap=CAP)
        assert rows is not None, name
        patched = _patched(snapshot, rows, changed)
        assert list(patched.entries().items()) == _fresh(snapshot), name
        if journal:  # every step's changes since the first listing, in one journal
            listing_save(path, sha, patched.entries(), blob_cap=CAP, stored=rows, changed=changed)
            assert journal_path(path).exists()
        else:
            listing_save(path, sha, patched.entries(), blob_cap=CAP)
            assert not journal_path(path).exists()
    entries = dict(_fresh(snapshot))
    assert entries["data/big.csv"].size is None  # never downloaded: no size, as ls-tree says
    assert entries["data/copy.csv"].size is None
    assert entries["run.sh"].mode == "100755"
    assert entries["a.b/inner.txt"].is_file and "a.b" not in entries
    assert os.fsdecode(b"caf\xe9.txt") in entries
    assert [tuple(row) for row in listing_load(path, snapshot.sha, blob_cap=CAP)] == [
        (e.path, e.mode, e._sha, e._size) for e in entries.values()
    ]


def test_a_journal_is_used_only_on_its_base_and_is_written_whole_when_large(
    repo_factory, repo, tmp_path, monkeypatch
):
    path = tmp_path / "listing"
    first = repo_factory.snapshot(repo, max_blob_bytes=CAP)
    listing_save(path, first.sha, first.entries(), blob_cap=CAP)
    stored = listing_load(path, first.sha, blob_cap=CAP)
    second_sha = _commit(repo, {"new.txt": ("100644", "new\n")}, "add")
    second = repo_factory.snapshot(repo, max_blob_bytes=CAP)
    changed = second.mirror.changed_paths(first.sha, second_sha)
    listing_save(path, second_sha, second.entries(), blob_cap=CAP, stored=stored, changed=changed)
    assert listing_load(path, first.sha, blob_cap=CAP) == stored  # the whole file's own commit
    assert "new.txt" in [row[0] for row in listing_load(path, second_sha, blob_cap=CAP)]
    assert listing_load(path, second_sha, blob_cap=CAP + 1) is None
    # A journal beside a whole file of another commit (another worker wrote it) is ignored.
    journal = journal_path(path).read_bytes()
    third_sha = _commit(repo, {"more.txt": ("100644", "more\n")}, "more")
    third = repo_factory.snapshot(repo, max_blob_bytes=CAP)
    listing_save(path, third_sha, third.entries(), blob_cap=CAP)
    journal_path(path).write_bytes(journal)
    assert listing_load(path, second_sha, blob_cap=CAP) is None
    journal_path(path).write_bytes(b"{not json")
    assert listing_load(path, third_sha, blob_cap=CAP) is not None  # the whole file's commit
    # Past the journal's limit the listing is written whole and the journal goes.
    monkeypatch.setattr("gates.listing.JOURNAL_MIN", 0)
    monkeypatch.setattr("gates.listing.JOURNAL_SHARE", 0.0)
    fourth_sha = _commit(repo, {"last.txt": ("100644", "last\n")}, "last")
    fourth = repo_factory.snapshot(repo, max_blob_bytes=CAP)
    changed = fourth.mirror.changed_paths(third_sha, fourth_sha)
    stored = listing_load(path, third_sha, blob_cap=CAP)
    listing_save(path, fourth_sha, fourth.entries(), blob_cap=CAP, stored=stored, changed=changed)
    assert not journal_path(path).exists()
    assert json.loads(path.read_text())["commit"] == fourth_sha


def test_a_listing_of_another_commit_or_unreadable_is_not_used(repo_factory, repo, tmp_path):
    path = tmp_path / "listing"
    snapshot = repo_factory.snapshot(repo)
    listing_save(path, snapshot.sha, snapshot.entries(), blob_cap=CAP)
    assert listing_load(path, snapshot.sha, blob_cap=CAP) is not None
    assert listing_load(path, "0" * 40, blob_cap=CAP) is None
    assert listing_load(path, snapshot.sha, blob_cap=CAP + 1) is None  # fetched under another cap
    assert listing_load(tmp_path / "missing", snapshot.sha, blob_cap=CAP) is None
    for garbage in (b"", b"{not json", b"\xe9" * 10, b"[]", b'{"format": 1}'):
        path.write_bytes(garbage)
        assert listing_load(path, snapshot.sha, blob_cap=CAP) is None
    columns = {"paths": ["a"], "modes": ["100644"], "shas": ["1" * 40], "sizes": [1]}
    path.write_text(json.dumps({"format": 0, "commit": snapshot.sha, "blob_cap": CAP, **columns}))
    assert listing_load(path, snapshot.sha, blob_cap=CAP) is None  # an older format
    same = {"format": 2, "commit": snapshot.sha, "blob_cap": CAP}
    path.write_text(json.dumps({**same, **columns, "sizes": []}))
    assert listing_load(path, snapshot.sha, blob_cap=CAP) is None  # columns of different lengths


def test_a_patch_that_git_cannot_complete_lists_the_tree(repo_factory, repo, tmp_path, monkeypatch):
    snapshot = repo_factory.snapshot(repo)
    rows = [(e.path, e.mode, e._sha, e._size) for e in snapshot.entries().values()]
    previous = snapshot.sha
    _commit(repo, {"new.txt": ("100644", "new\n")}, "add")
    snapshot = repo_factory.snapshot(repo)
    changed = snapshot.mirror.changed_paths(previous, snapshot.sha)

    def broken(shas):
        raise GitError("git_failed", "git could not read the sizes.")

    monkeypatch.setattr(snapshot.mirror, "blob_sizes", broken)
    patched = RepoSnapshot(snapshot.mirror, snapshot.sha)
    patched.patch_listing(rows, changed)
    assert list(patched.entries().items()) == _fresh(snapshot)
