"""Two things about a bare mirror read or written without starting git.

A git process costs a few milliseconds to start (more on a loaded machine),
which on a small repository is a large part of a run. The mirror is ours,
never written by anyone but our own fetches, so two trivial steps are done in
Python:

- ``bare_init``: the empty bare repository ``git init --bare --template=``
  would write (``HEAD``, ``config``, ``objects/``, ``refs/``), built beside
  and renamed into place, so a half-made mirror is never seen;
- ``branch_heads``: the commits ``refs/heads/*`` point at, from loose ref
  files and ``packed-refs``. Anything unexpected (a symbolic ref, a line it
  cannot read) returns None and the caller asks ``git for-each-ref``;
- ``fetched_commit``: the commit a ref just fetched points at, when the
  mirror's ``shallow`` file proves it is a commit (else None: ``git rev-parse``).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

CONFIG = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
OBJECT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def bare_init(path: Path) -> None:
    """An empty bare repository at ``path`` (which must not exist)."""
    staging = path.with_name(f"{path.name}.init-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for folder in ("objects/info", "objects/pack", "refs/heads", "refs/tags"):
        (staging / folder).mkdir(parents=True)
    (staging / "HEAD").write_text("ref: refs/heads/main\n")
    (staging / "config").write_text(CONFIG)
    os.rename(staging, path)


def branch_heads(path: Path) -> list[str] | None:
    """Object ids of every ``refs/heads/*`` (loose ones win over packed); None: ask git."""
    heads: dict[str, str] = {}
    try:
        packed = (path / "packed-refs").read_text(encoding="utf-8")
    except FileNotFoundError:
        packed = ""
    except (OSError, UnicodeDecodeError):
        return None
    for line in packed.splitlines():
        if not line or line.startswith(("#", "^")):
            continue
        oid, _, name = line.partition(" ")
        if not OBJECT_ID.match(oid):
            return None
        if name.startswith("refs/heads/"):
            heads[name] = oid
    root = path / "refs" / "heads"
    for folder, _dirs, files in os.walk(root):
        for file in files:
            if file.endswith(".lock"):
                continue
            try:
                oid = (Path(folder) / file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                return None
            if not OBJECT_ID.match(oid):  # a symbolic ref, or something else: git knows
                return None
            name = os.path.relpath(os.path.join(folder, file), path).replace(os.sep, "/")
            heads[name] = oid
    return list(heads.values())


def fetched_commit(path: Path, ref: str) -> str | None:
    """The object a loose ``ref`` points at, if the ``shallow`` file lists it; None: ask git.

    Only commits are ever listed in ``shallow``, and after a ``--depth=1`` fetch
    the fetched head is one of them: so a listed object is the commit
    ``rev-parse <ref>^{commit}`` names. Anything else goes to git.
    """
    try:
        oid = (path / ref).read_text(encoding="utf-8").strip()
        shallow = (path / "shallow").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not OBJECT_ID.match(oid) or f"\n{oid}\n" not in f"\n{shallow}":
        return None
    return oid
