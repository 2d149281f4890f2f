"""The fact store's journal: a later run finds exactly what a whole rewrite would hold."""

from __future__ import annotations

import json
import random

from gates.checks import facts_file
from gates.checks.facts import FactStore
from gates.checks.facts_file import journal_path


def _key(n: int) -> str:
    return f"{n:040x}:src/file_{n}.py"


def _run(path, used: list[int], current: set[int], *, whole: bool = False, commit: str = "c"):
    """One run: load, look up ``used`` (computing what is missing), save with ``current``."""
    store = FactStore.load(path)
    if whole:
        store._stored = None  # as if nothing had been read: the store is written whole
    for extractor in ("a:v1", "b:v1"):
        items = [(f"src/file_{n}.py", f"{n:040x}") for n in used]
        store.facts(extractor, items, lambda paths, x=extractor: {p: f"{x} {p}" for p in paths})
    store.checks_used = {"some_check": {"commit": commit}}
    return store.save(path, current={_key(n) for n in current}, commit=commit)


def test_a_small_change_writes_a_journal_and_leaves_the_full_file_alone(tmp_path):
    path = tmp_path / "f.json"
    _run(path, list(range(100)), set(range(100)))
    full = path.read_bytes()
    assert not journal_path(path).exists()
    _run(path, [100], set(range(1, 101)), commit="d")  # file 0 changed into file 100
    assert path.read_bytes() == full
    journal = json.loads(journal_path(path).read_text())
    assert journal["generation"] == json.loads(full)["generation"]
    assert journal["added"] == {"a:v1": {_key(100): "a:v1 src/file_100.py"},
                                "b:v1": {_key(100): "b:v1 src/file_100.py"}}  # fmt: skip
    assert journal["dropped"] == {"a:v1": [_key(0)], "b:v1": [_key(0)]}
    later = FactStore.load(path)
    assert set(later._data["a:v1"]) == {_key(n) for n in range(1, 101)}
    assert later.commit == "d" and later.checks_known == {"some_check": {"commit": "d"}}


def test_journal_and_whole_rewrites_hold_the_same_store_run_after_run(tmp_path):
    journaled, rewritten = tmp_path / "j.json", tmp_path / "w.json"
    chooser = random.Random(20261202)
    live = set(range(300))
    compactions = journals = 0
    for round_ in range(60):
        # Some files change (new blobs), some go, a few come back from earlier rounds.
        changed = set(chooser.sample(sorted(live), chooser.randint(0, 40)))
        live = (live - changed) | {1000 + round_ * 50 + i for i in range(len(changed))}
        live |= set(chooser.sample(range(300), 3))
        used = chooser.sample(sorted(live), chooser.randint(0, len(live)))
        before = journal_path(journaled).exists() and journal_path(journaled).read_bytes()
        _run(journaled, used, live, commit=f"c{round_}")
        _run(rewritten, used, live, whole=True, commit=f"c{round_}")
        after = journal_path(journaled).exists() and journal_path(journaled).read_bytes()
        journals += bool(after) and after != before
        compactions += not after
        a, b = FactStore.load(journaled), FactStore.load(rewritten)
        assert a._data == b._data, round_
        assert (a.commit, a.checks_known) == (b.commit, b.checks_known)
    assert journals > 20 and compactions > 1  # both paths were taken


def test_a_journal_of_another_generation_is_ignored(tmp_path):
    path = tmp_path / "f.json"
    _run(path, list(range(10)), set(range(10)))
    _run(path, [10], set(range(11)), commit="d")
    stale = journal_path(path).read_bytes()
    _run(path, [20], {20}, whole=True, commit="e")  # another worker wrote the store whole
    journal_path(path).write_bytes(stale)  # ... and an older journal is still beside it
    store = FactStore.load(path)
    assert set(store._data["a:v1"]) == {_key(20)}
    assert store.commit == "e"


def test_a_damaged_journal_is_ignored(tmp_path):
    path = tmp_path / "f.json"
    _run(path, list(range(10)), set(range(10)), commit="c")
    for damaged in (b"{not json", b'{"format": 3, "generation": "x"', b"[]"):
        journal_path(path).write_bytes(damaged)
        store = FactStore.load(path)
        assert set(store._data["a:v1"]) == {_key(n) for n in range(10)}
        assert store.commit == "c"
    generation = json.loads(path.read_text())["generation"]
    wrong = {"format": 3, "generation": generation, "added": {"a:v1": []}, "dropped": {}}
    journal_path(path).write_text(json.dumps(wrong))
    assert set(FactStore.load(path)._data["a:v1"]) == {_key(n) for n in range(10)}


def test_a_large_journal_makes_the_store_written_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(facts_file, "JOURNAL_MIN", 8)
    monkeypatch.setattr(facts_file, "JOURNAL_SHARE", 0.0)
    path = tmp_path / "f.json"
    _run(path, list(range(100)), set(range(100)))
    generation = json.loads(path.read_text())["generation"]
    _run(path, [100, 101], set(range(2, 102)))  # 2 added, 2 dropped in each of 2: 8
    assert journal_path(path).exists()
    assert json.loads(path.read_text())["generation"] == generation
    _run(path, [102, 103, 104], set(range(5, 105)))  # now past the limit
    assert not journal_path(path).exists()
    assert json.loads(path.read_text())["generation"] != generation
    assert set(FactStore.load(path)._data["a:v1"]) == {_key(n) for n in range(5, 105)}


def test_the_size_cap_counts_the_journal_too(tmp_path):
    path = tmp_path / "f.json"
    _run(path, list(range(50)), set(range(50)))
    size = path.stat().st_size
    store = FactStore.load(path)
    store.facts("a:v1", [("src/file_50.py", f"{50:040x}")], lambda paths: dict.fromkeys(paths, 1))
    current = {_key(n) for n in range(51)}
    written = store.save(path, current=current, max_bytes=size + 50)  # no room for a journal
    assert not journal_path(path).exists() and written == path.stat().st_size <= size + 50
    assert _key(50) in FactStore.load(path)._data["a:v1"]
