"""Mirror upkeep (``gates.mirror_upkeep``) on real mirrors fetched from ``git daemon``.

After many fetches, upkeep leaves one promisor pack holding exactly what the
branch heads need and a ``shallow`` file listing only the heads; the heads
stay fully readable, the oversized blob stays missing (nothing is fetched:
the server is gone by then), and later fetches go on as before. It never
touches a mirror a run is reading or a fetch is writing, is not started by
low signals, and a killed upkeep's leftovers are cleaned by the next one.
"""

from __future__ import annotations

import dataclasses

import pytest

from gates.git import GitError, GitLimits, Mirror
from gates.mirror_lock import mirror_locked, mirror_reading, upkeep_locked
from gates.mirror_upkeep import mirror_upkeep, signals, upkeep_due
from tests.gitrepo import commit, git, make_repo
from tests.gitserver import GitDaemon, allow_loopback

CAP = 1_000
BIG = "x" * (CAP * 5)  # over the blob cap: never fetched
BASE = {
    "README.md": "# Upkeep\n",
    "data/big.bin": BIG,
    **{f"src/module_{n}.py": f"VALUE = {n}\n" for n in range(20)},
}


@pytest.fixture
def served(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors")
    settings.MLTRL_GIT_TIMEOUT_S = 60
    (tmp_path / "served").mkdir()
    repo = make_repo(tmp_path / "served", BASE, name="repo.git", bare=True)
    git(repo, "config", "uploadpack.allowAnySHA1InWant", "true")  # fetch_commit over git://
    return repo, tmp_path / "served"


def _branch(repo, name: str) -> str:
    """A branch with a commit of its own on top of main."""
    git(repo, "branch", name, "main")
    git(repo, "symbolic-ref", "HEAD", f"refs/heads/{name}")
    sha = commit(repo, {f"{name}.md": f"{name}\n"}, name)
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    return sha


def _mirror(url: str) -> Mirror:
    limits = dataclasses.replace(GitLimits.from_settings(), max_blob_bytes=CAP)
    return Mirror("upkeep", url, limits)


def _objects(mirror: Mirror, shas: list[str]) -> dict[str, bool]:
    """Which of ``shas`` the mirror holds (``cat-file --batch-check``; never fetches)."""
    out = mirror._read(["cat-file", "--batch-check"], stdin=("\n".join(shas) + "\n").encode())
    return {line.split()[0]: not line.endswith(" missing") for line in out.decode().splitlines()}


def _shallow(mirror: Mirror) -> set[str]:
    return set((mirror.path / "shallow").read_text().split())


def _packs(mirror: Mirror) -> list[str]:
    return sorted(p.name for p in (mirror.path / "objects" / "pack").iterdir())


def _blob(repo, rev: str) -> str:
    return git(repo, "rev-parse", rev).strip()


def test_upkeep_keeps_exactly_what_the_heads_need(served):
    repo, root = served
    dev = _branch(repo, "dev")
    with GitDaemon(root) as daemon:
        mirror = _mirror(daemon.url("repo.git"))
        first = mirror.fetch("main")
        mirror.fetch("dev")
        old_blobs = []
        for n in range(12):
            old_blobs.append(_blob(repo, "main:src/module_1.py"))
            commit(repo, {"src/module_1.py": f"VALUE = {100 + n}\n"}, f"edit {n}")
            mirror.fetch("main")
        head = commit(repo, {"NOTES.md": "notes\n"}, "notes")
        mirror.fetch("main")
    # One pack and one shallow line per fetch; ``first`` is a pinned commit now.
    assert len(_shallow(mirror)) == 15
    assert len([p for p in _packs(mirror) if p.endswith(".idx")]) == 15
    before = {path: e for path, e in mirror.snapshot(head).entries().items()}

    # The server is gone: upkeep must not need it (nothing is fetched).
    assert mirror_upkeep(mirror, force=True)

    packs = _packs(mirror)
    assert len(packs) == 3 and {p.rsplit(".", 1)[1] for p in packs} == {"idx", "pack", "promisor"}
    assert _shallow(mirror) == {head, dev}
    # Unreachable: gone (the first version of module_1.py is dev's too: kept).
    assert not any(_objects(mirror, [first, *old_blobs[1:]]).values())
    assert all(_objects(mirror, [old_blobs[0]]).values())
    assert git(mirror.path, "count-objects").startswith("0 objects")  # nothing loose
    # Both heads are fully readable; the oversized blob is still missing (size None: BAD).
    for sha in (head, dev):
        with mirror.snapshot(sha) as snapshot:
            entries = snapshot.entries()
            assert entries["data/big.bin"].size is None
            assert snapshot.read_bytes("data/big.bin") is None
            texts = dict(snapshot.iter_texts(sorted(entries)))
            assert texts["README.md"] == "# Upkeep\n"
            assert len(texts) == len(entries) - 1
    assert mirror.snapshot(head).entries() == before
    assert "remote" not in (mirror.path / "config").read_text()

    # Later fetches go on incrementally, into the upkept mirror.
    with GitDaemon(root) as daemon:
        mirror = _mirror(daemon.url("repo.git"))  # the same mirror, the server's new port
        newer = commit(repo, {"src/module_1.py": "VALUE = -1\n"}, "after upkeep")
        assert mirror.fetch("main") == newer
        assert mirror.snapshot(newer).read_text("src/module_1.py") == "VALUE = -1\n"
        assert mirror.snapshot(newer).entries()["data/big.bin"].size is None
        mirror.fetch_commit(first)  # an old commit comes back on demand
    assert mirror.snapshot(first).read_text("src/module_1.py") == "VALUE = 1\n"


def test_upkeep_skips_a_mirror_in_use(served):
    repo, root = served
    with GitDaemon(root) as daemon:
        mirror = _mirror(daemon.url("repo.git"))
        first = mirror.fetch("main")
        commit(repo, {"NOTES.md": "notes\n"}, "notes")
        mirror.fetch("main")
    packs = _packs(mirror)
    # A run reading a commit no ref points at any more keeps it.
    with mirror.snapshot(first) as snapshot:
        assert not mirror_upkeep(mirror, force=True)
        assert snapshot.read_text("README.md") == "# Upkeep\n"
    with mirror.reading():  # the engine holds it from its first look at the commit
        assert not mirror_upkeep(mirror, force=True)
    with mirror_locked(mirror.path, wait_s=5):  # a fetch
        assert not mirror_upkeep(mirror, force=True)
    assert _packs(mirror) == packs
    # While upkeep works, a run waits for it (here: no time to wait).
    with upkeep_locked(mirror.path) as fds:
        assert fds is not None
        with pytest.raises(GitError) as raised, mirror_reading(mirror.path, wait_s=0):
            pass
        assert raised.value.kind == "mirror_busy" and raised.value.transient
    assert mirror_upkeep(mirror, force=True)
    assert not _objects(mirror, [first])[first]


def test_low_signals_start_nothing(served, monkeypatch):
    repo, root = served
    for name in ("dev", "topic-0", "topic-1", "topic-2"):
        _branch(repo, name)
    with GitDaemon(root) as daemon:
        mirror = _mirror(daemon.url("repo.git"))
        for branch in ("main", "dev", "topic-0", "topic-1", "topic-2"):
            mirror.fetch(branch)
        files = _packs(mirror)
        assert not upkeep_due(mirror.path)
        assert not mirror_upkeep(mirror)
        assert _packs(mirror) == files
        # Shallow lines count against the limit only beyond the branch heads.
        monkeypatch.setattr("gates.mirror_upkeep.MAX_EXTRA_SHALLOW", 2)
        assert signals(mirror.path).shallow_lines == 5  # one per head
        assert not upkeep_due(mirror.path)
        for n in range(3):
            commit(repo, {"NOTES.md": f"{n}\n"}, f"notes {n}")
            mirror.fetch("main")
        assert upkeep_due(mirror.path)
    monkeypatch.setattr("gates.mirror_upkeep.MAX_EXTRA_SHALLOW", 50)
    assert not upkeep_due(mirror.path)
    # Loose objects, estimated from one folder as git does: 27 there, ~6,900 in all.
    folder = mirror.path / "objects" / "17"
    folder.mkdir()
    for n in range(27):
        (folder / f"{n:038x}").write_bytes(b"")
    assert signals(mirror.path).loose_estimate == 27 * 256 and upkeep_due(mirror.path)
    for file in folder.iterdir():
        file.unlink()
    assert not upkeep_due(mirror.path)
    monkeypatch.setattr("gates.mirror_upkeep.MAX_PACKS", 3)
    assert signals(mirror.path).packs == 8 and upkeep_due(mirror.path)
    assert mirror_upkeep(mirror)
    assert signals(mirror.path).packs == 1 and not upkeep_due(mirror.path)


def test_a_killed_upkeep_leaves_a_usable_mirror(served):
    repo, root = served
    with GitDaemon(root) as daemon:
        mirror = _mirror(daemon.url("repo.git"))
        mirror.fetch("main")
        commit(repo, {"NOTES.md": "notes\n"}, "notes")
        head = mirror.fetch("main")
    pack_dir = mirror.path / "objects" / "pack"
    # What a SIGKILL at any step leaves: pack-objects' temporary files, the new pack
    # not yet renamed, a deleted pack's data without its index, git's lock files.
    index = next(pack_dir.glob("pack-*.idx"))
    stray = {
        pack_dir / "tmp_pack_Ab12Cd": b"partial",
        pack_dir / "tmp_upkeep-0123.pack": b"PACK",
        pack_dir / "pack-0123456789abcdef0123456789abcdef01234567.pack": b"PACK",
        mirror.path / "shallow.lock": b"",
    }
    for path, data in stray.items():
        path.write_bytes(data)
    assert mirror.snapshot(head).read_text("NOTES.md") == "notes\n"  # still readable
    assert mirror_upkeep(mirror, force=True)
    assert not any(path.exists() for path in stray)
    assert not index.exists()
    assert mirror.snapshot(head).read_text("NOTES.md") == "notes\n"
    assert _shallow(mirror) == {head}
