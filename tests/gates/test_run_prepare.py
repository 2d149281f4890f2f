"""Reading the fact store and the stored listing beside the fetch (``gates.run_prepare``)."""

from __future__ import annotations

import pytest

from gates.checks.facts import FactStore
from gates.git import GitError
from gates.listing import listing_save
from gates.run_prepare import Preparation, _Background


def test_what_the_helper_thread_raises_is_raised_where_the_result_is_asked():
    def broken():
        raise GitError("timeout", "git took too long.")

    job = _Background(broken, "test")
    with pytest.raises(GitError, match="took too long"):
        job.result()
    assert _Background(lambda: 42, "test").result() == 42


def test_the_stored_listing_of_the_stores_commit_patches_the_new_tree(repo_factory, monkeypatch):
    repo = repo_factory.repo({"a.txt": "a\n", "b.txt": "b\n"}, bare=True)
    first = repo_factory.snapshot(repo)
    mirror = first.mirror
    store = FactStore()
    store.checks_used["some_check"] = {"environment": "x"}  # a store holds a commit with memos
    store.save(mirror.facts_path, commit=first.sha)
    cap = mirror.limits.max_blob_bytes
    listing_save(mirror.listing_path, first.sha, first.entries(), blob_cap=cap)
    repo_factory.commit(repo, {"b.txt": None, "c.txt": "c\n"})
    second = repo_factory.snapshot(repo)
    monkeypatch.setattr("gates.run_prepare.PATCH_MIN_ENTRIES", 0)

    def no_ls_tree():
        raise AssertionError("listed with ls-tree instead of patching")

    second._iter_tree = no_ls_tree
    loaded, changed = Preparation(second.mirror).result(second)
    assert loaded.commit == first.sha
    assert changed == {"b.txt", "c.txt"}
    assert sorted(second.entries()) == ["a.txt", "c.txt"]
