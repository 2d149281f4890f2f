"""Reused check outputs always equal fresh ones, whatever the commit changed.

Each scenario runs the whole catalog on a base commit (keeping facts and memos),
applies one kind of change, and compares the memoized run with a run from
scratch on the same commit: once deciding reuse by the changed paths git
reports between the two commits (what the engine does), once by digests over
the blobs each check touched (when the previous commit is unknown).
"""

from __future__ import annotations

import pytest

from gates.check_memo import CheckMemo, outputs_memoized
from gates.checks.base import CheckContext, repository_checks
from gates.checks.config import CONFIG_PATH, config_parse
from gates.checks.facts import FactStore

BASE = {
    "README.md": "# Ranker\n\n## Purpose\n\nRank support tickets by urgency for on-call staff.\n",
    "src/ranker/model.py": "def score(ticket):\n    return len(ticket)\n",
    "tests/test_model.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    "requirements.txt": "numpy==1.26.4\n",
    "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge...\n",
    "notebooks/explore.ipynb": '{"cells": []}\n',
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
    "configs/exp1.yaml": "lr: 0.1\n",
    "NOTES.md": "scratch\n",
    CONFIG_PATH: "[thresholds]\nmax_file_bytes = 200\n",
    "data/big.csv": "x," * 200,
}
CHANGES = {
    "unrelated edit": {"NOTES.md": "scratch, edited\n"},
    "code only in notebooks": {"src/ranker/model.py": None},
    "a new test file": {"tests/test_more.py": "def test_three():\n    pass\n"},
    "README loses its purpose": {"README.md": "# Ranker\n"},
    "config raises a threshold": {CONFIG_PATH: "[thresholds]\nmin_test_functions = 5\n"},
    "a secret in existing code": {"src/ranker/model.py": 'API_KEY = "Zx81kQ0pLm22Vb7q"\n'},
    "licence renamed": {"LICENSE": None, "LICENSE.md": "MIT License\n"},
    "dependencies unpinned": {"requirements.txt": "numpy>=1.26\n"},
    "CI removed": {".github/workflows/ci.yml": None},
    "CI emptied": {".github/workflows/ci.yml": ""},
    "a large file added": {"data/more.csv": "y," * 300},
    "the large file shrunk": {"data/big.csv": "x,y\n"},
    "the large file removed": {"data/big.csv": None},
    "the large file turned folder": {"data/big.csv": None, "data/big.csv/1.csv": "z," * 300},
    "prediction logger added": {
        "src/ranker/log.py": "import logging\nlogging.getLogger('predictions')\n"
    },
}


def _run(snapshot, store: FactStore, *, by_changes: bool = True) -> tuple[dict, CheckMemo]:
    text = snapshot.read_text(CONFIG_PATH)
    context = CheckContext(snapshot, config_parse(text), store)
    changed = None
    if by_changes and store.commit:
        changed = snapshot.mirror.changed_paths(store.commit, snapshot.sha)
        assert changed is not None
    memo = CheckMemo(store, snapshot.entries(), text, changed)
    context.changes = changed  # as the engine does: incremental scans patch their state
    outputs = dict(outputs_memoized(repository_checks(), memo, lambda c: c.run(context)))
    return {check.key: output for check, output in outputs.items()}, memo


@pytest.mark.parametrize("by_changes", [True, False], ids=["changed-paths", "digests"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_memoized_outputs_equal_fresh_ones(repo_factory, tmp_path, change, by_changes):
    repo = repo_factory.repo(BASE)
    store = FactStore()
    base = repo_factory.snapshot(repo)
    first, memo = _run(base, store)
    store.save(tmp_path / "facts.json", current=memo.current_blob_keys(), commit=base.sha)

    repo_factory.commit(repo, CHANGES[change])
    snapshot = repo_factory.snapshot(repo)
    warm_store = FactStore.load(tmp_path / "facts.json")
    assert warm_store.commit == base.sha
    warm, warm_memo = _run(snapshot, warm_store, by_changes=by_changes)
    fresh, _ = _run(snapshot, FactStore())
    assert warm == fresh
    if change == "unrelated edit":
        assert warm_memo.reused >= len(fresh) - 2  # all but the whole-content scans
        assert warm == first
    else:
        assert warm != first  # every other change moves at least one result


def test_memos_are_void_when_the_check_code_changes(repo_factory, tmp_path, monkeypatch):
    repo = repo_factory.repo(BASE)
    store = FactStore()
    _, memo = _run(repo_factory.snapshot(repo), store)
    store.save(tmp_path / "facts.json", current=memo.current_blob_keys())
    monkeypatch.setattr("gates.check_memo.catalog_code_hash", lambda: "another deploy")
    _, second = _run(repo_factory.snapshot(repo), FactStore.load(tmp_path / "facts.json"))
    assert second.reused == 0


def test_a_check_that_looked_at_every_blob_keeps_one_content_digest(repo_factory, tmp_path):
    """``no_oversized_files`` reads every file's size: its memo is a content digest
    (like a whole-content scan), not a digest and a bitmap over each path."""
    repo = repo_factory.repo(BASE)
    store = FactStore()
    _run(repo_factory.snapshot(repo), store)
    oversized = store.checks_used["no_oversized_files"]
    assert oversized["content"] is not None
    assert (oversized["indexes"], oversized["paths"]) == (None, [])
    readme = store.checks_used["readme_purpose"]  # looked at a few files only
    assert readme["content"] is None


def test_the_oversized_scan_looks_only_at_changed_paths_when_it_can(repo_factory, tmp_path):
    from gates.checks.base import REGISTRY
    from gates.observed import observing

    repo = repo_factory.repo(BASE)
    store = FactStore()
    base = repo_factory.snapshot(repo)
    _, memo = _run(base, store)
    store.save(tmp_path / "facts.json", current=memo.current_blob_keys(), commit=base.sha)
    repo_factory.commit(repo, {"data/more.csv": "y," * 300, "NOTES.md": "edited\n"})
    snapshot = repo_factory.snapshot(repo)
    warm_store = FactStore.load(tmp_path / "facts.json")
    context = CheckContext(snapshot, config_parse(snapshot.read_text(CONFIG_PATH)), warm_store)
    context.changes = snapshot.mirror.changed_paths(base.sha, snapshot.sha)
    # Built for its effect: it gives the store this run's environment digest, without
    # which previous_state() offers no stored state (as when the engine runs the check).
    CheckMemo(warm_store, snapshot.entries(), snapshot.read_text(CONFIG_PATH), context.changes)
    with observing() as seen:
        output = REGISTRY["no_oversized_files"].run(context)
    assert seen.touched == {"data/more.csv", "NOTES.md"}  # not every file's size
    assert seen.all_content  # yet its memo says it depends on every file
    assert [f["path"] for f in output.evidence["files"]] == ["data/more.csv", "data/big.csv"]
