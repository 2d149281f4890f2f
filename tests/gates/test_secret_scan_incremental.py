"""The secret scan patched from the changed paths equals a full scan.

A warm run knows which paths changed since the commit its stored scan state is
true of (``Mirror.changed_paths``); the scan then looks only at those paths and
keeps every other path's stored findings (``gates.checks.secret_scan``). Each
step below is committed on top of the previous one, scanned incrementally from
the previous step's state, and compared with a scan from scratch of the same
commit: outcome, message and evidence (findings, counts, files not scanned).
"""

from __future__ import annotations

import pytest

from gates.check_memo import CheckMemo, outputs_memoized
from gates.checks import secret_scan
from gates.checks.base import REGISTRY, CheckContext
from gates.checks.config import CONFIG_PATH, config_parse
from gates.checks.facts import FactStore

AWS_ID = "AKIA" + "Q4ZT7W2M9R3X6B1N"  # built from parts: secret scanners skip this file
GH_TOKEN = "ghp_" + "Zq8Lm3Nv5Bx7Cr9Dt2Fy4Gh6Jk8Lp1Qw3Es5"
KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEow" + "IBAAKCAQEA7x" * 5 + "\n"
BASE = {
    "README.md": "# Ranker\n\nRanks tickets.\n",
    "src/__init__.py": "",
    **{f"pkg/module_{n}.py": f"VALUE = {n}\n" for n in range(25)},
}
SECRET = "src/keys.py"
STEPS = [
    ("a file with a secret added", {SECRET: f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'}, {}),
    ("its secret edited into another kind", {SECRET: f'TOKEN = "{GH_TOKEN}"\n'}, {}),
    ("the file renamed", {SECRET: None, "src/creds.py": f'TOKEN = "{GH_TOKEN}"\n'}, {}),
    ("the file emptied", {"src/creds.py": ""}, {}),
    ("a key file and a private key block added",
     {"deploy/id_rsa": "key\n", "deploy/key.pem.txt": KEY_BLOCK}, {}),
    ("the key file removed, a binary look-alike added",
     {"deploy/id_rsa": None, "assets/logo.png": f"{AWS_ID}\n"}, {}),
    ("a secret file replaced by a symlink", {"deploy/key.pem.txt": None},
     {"deploy/key.pem.txt": "../README.md"}),
    ("an unrelated edit", {"pkg/module_3.py": "VALUE = 33\n"}, {}),
    ("the empty file filled again", {"src/creds.py": f'AWS_KEY = "{AWS_ID}"\n'}, {}),
    ("the emptied file removed, a file added empty",
     {"src/creds.py": None, "src/empty.py": ""}, {}),
]  # fmt: skip


def _scan(snapshot, store: FactStore, *, incremental: bool):
    """no_secrets as the engine runs it: memoized, with the changed paths if asked."""
    text = snapshot.read_text(CONFIG_PATH)
    changes = None
    if incremental and store.commit:
        changes = snapshot.mirror.changed_paths(store.commit, snapshot.sha)
        assert changes is not None
    memo = CheckMemo(store, snapshot.entries(), text, changes)
    context = CheckContext(snapshot, config_parse(text), store)
    context.changes = changes
    check = REGISTRY["no_secrets"]
    ((_, output),) = outputs_memoized([check], memo, lambda c: c.run(context))
    return output


def _as_tuple(output):
    return (output.outcome, output.message, output.evidence, output.fix)


def test_incremental_scans_equal_full_scans_step_by_step(repo_factory, tmp_path, monkeypatch):
    classified: list[str] = []
    original = secret_scan._classify

    def spy(path, entry):
        classified.append(path)
        return original(path, entry)

    monkeypatch.setattr(secret_scan, "_classify", spy)
    repo = repo_factory.repo(BASE)
    snapshot = repo_factory.snapshot(repo)
    store = FactStore()
    _scan(snapshot, store, incremental=True)
    store.save(tmp_path / "facts.json", commit=snapshot.sha)
    for name, files, symlinks in STEPS:
        repo_factory.commit(repo, files, name, symlinks=symlinks)
        snapshot = repo_factory.snapshot(repo)
        store = FactStore.load(tmp_path / "facts.json")
        classified.clear()
        warm = _scan(snapshot, store, incremental=True)
        looked_at = list(classified)
        fresh = _scan(snapshot, FactStore(), incremental=False)
        assert _as_tuple(warm) == _as_tuple(fresh), name
        # Only the changed regular files were looked at, not the whole tree.
        assert set(looked_at) <= set(files), name
        store.save(tmp_path / "facts.json", commit=snapshot.sha)
    final = fresh.evidence
    assert final["files_scanned"] == len(BASE) - 1  # not the empty src/__init__.py
    assert final["count"] == 0


@pytest.mark.parametrize("why", ["changes unknown", "state from another environment"])
def test_without_usable_state_the_scan_is_full(repo_factory, tmp_path, why):
    repo = repo_factory.repo({**BASE, SECRET: f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'})
    snapshot = repo_factory.snapshot(repo)
    store = FactStore()
    _scan(snapshot, store, incremental=True)
    store.save(tmp_path / "facts.json", commit=snapshot.sha)
    repo_factory.commit(repo, {"pkg/module_1.py": f'TOKEN = "{GH_TOKEN}"\n'})
    snapshot = repo_factory.snapshot(repo)
    store = FactStore.load(tmp_path / "facts.json")
    if why == "state from another environment":
        for entry in store.states_known.values():
            entry["environment"] = "another deploy"
    warm = _scan(snapshot, store, incremental=why != "changes unknown")
    fresh = _scan(snapshot, FactStore(), incremental=False)
    assert _as_tuple(warm) == _as_tuple(fresh)
    assert {f["path"] for f in warm.evidence["findings"]} == {SECRET, "pkg/module_1.py"}


def test_a_reused_scan_carries_its_state_forward(repo_factory, tmp_path):
    """A run that reuses the scan's memo (same commit) keeps its state, so the
    next incremental scan still starts from a state true of its commit."""
    repo = repo_factory.repo({**BASE, SECRET: f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'})
    path = tmp_path / "facts.json"
    for files in ({}, {}, {"README.md": "# Ranker\n\nRanks tickets fast.\n"}, {SECRET: None}):
        if files:
            repo_factory.commit(repo, files)
        snapshot = repo_factory.snapshot(repo)
        store = FactStore.load(path)
        warm = _scan(snapshot, store, incremental=True)
        store.save(path, commit=snapshot.sha)
        fresh = _scan(snapshot, FactStore(), incremental=False)
        assert _as_tuple(warm) == _as_tuple(fresh)
        assert "no_secrets" in FactStore.load(path).states_known
