"""Real git repositories for tests, built with the git CLI in a temporary folder.

``make_repo`` creates a repository with one commit (``bare=True``: built with
``git fast-import``, no working tree, fast for thousands of files), ``commit``
adds another,
``snapshot`` fetches it through ``gates.git.Mirror`` (the production code path:
file:// URL under ``MLTRL_GIT_FILE_ROOT``, partial clone, promisor removed) and
returns the ``RepoSnapshot`` of its head. Author, committer and dates are fixed,
so the same files always give the same SHAs.

File names may be ``bytes`` (non-UTF-8 names); contents ``str`` or ``bytes``;
in ``commit`` a content of ``None`` deletes the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from gates.git import GitLimits, Mirror, RepoSnapshot

FIXED_ENV = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.org",
    "GIT_AUTHOR_DATE": "2024-01-01T12:00:00+00:00",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.org",
    "GIT_COMMITTER_DATE": "2024-01-01T12:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "LC_ALL": "C",
}

Files = Mapping[str | bytes, str | bytes | None]


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity and no user or system config."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), **FIXED_ENV}
    done = subprocess.run(
        ["git", "-c", "core.symlinks=true", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", "surrogateescape")


# The same identity and date as FIXED_ENV, in fast-import's raw format.
AUTHOR = b"Ada Tester <ada@example.org> 1704110400 +0000"


def _quote(path: str | bytes) -> bytes:
    """A C-style quoted path for fast-import: any byte string survives, newlines too."""
    raw = path if isinstance(path, bytes) else os.fsencode(path)
    out = bytearray(b'"')
    for byte in raw:
        if 0x20 <= byte < 0x7F and byte not in (0x22, 0x5C):
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b'"')


def _data(payload: bytes) -> bytes:
    return b"data %d\n%s\n" % (len(payload), payload)


def _write(repo: Path, files: Files, symlinks: Mapping[str, str] | None) -> None:
    for name, content in files.items():
        target = repo / (os.fsdecode(name) if isinstance(name, bytes) else name)
        if content is None:
            if target.is_symlink() or target.exists():
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    for name, link_target in (symlinks or {}).items():
        link = repo / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(link_target, link)


def make_repo(
    root: Path,
    files: Files,
    symlinks: Mapping[str, str] | None = None,
    branch: str = "main",
    *,
    name: str | None = None,
    bare: bool = False,
) -> Path:
    """A new repository under ``root`` holding ``files`` (and ``symlinks``) in one commit.

    By default a normal repository with a working tree (tests may add hooks,
    change modes, ...). ``bare=True`` builds the commit with ``git fast-import``
    and writes no working tree: thousands of files take a fraction of a second.
    """
    root.mkdir(parents=True, exist_ok=True)
    if name is None:
        taken = {p.name for p in root.iterdir()}
        name = next(f"repo-{n}" for n in range(1, 10_000) if f"repo-{n}" not in taken)
    repo = root / name
    repo.mkdir()
    git(repo, "init", "--quiet", *(["--bare"] if bare else []), "-b", branch)
    # The mirror fetches with --filter=blob:limit=...; the serving side must allow it.
    git(repo, "config", "uploadpack.allowFilter", "true")
    commit(repo, files, "initial", symlinks=symlinks)
    return repo


def commit(
    repo: Path,
    files: Files,
    message: str,
    *,
    symlinks: Mapping[str, str] | None = None,
) -> str:
    """Write (or delete, with ``None``) files, commit everything, return the new SHA.

    In a repository with a working tree every change in it is committed
    (``git add --all``), not only ``files``.
    """
    if git(repo, "rev-parse", "--is-bare-repository").strip() == "true":
        return _fast_import(repo, files, message, symlinks)
    _write(repo, files, symlinks)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _fast_import(repo: Path, files: Files, message: str, symlinks: Mapping[str, str] | None) -> str:
    ref = git(repo, "symbolic-ref", "HEAD").strip().encode()
    has_parent = bool(git(repo, "for-each-ref", "--format=%(refname)", ref.decode()).strip())
    stream = bytearray(b"commit %s\nauthor %s\ncommitter %s\n" % (ref, AUTHOR, AUTHOR))
    stream += _data(message.encode())
    if has_parent:
        stream += b"from %s^0\n" % ref
    for path, content in files.items():
        if content is None:
            stream += b"D %s\n" % _quote(path)
            continue
        data = content.encode() if isinstance(content, str) else content
        stream += b"M 100644 inline %s\n" % _quote(path) + _data(data)
    for path, target in (symlinks or {}).items():
        stream += b"M 120000 inline %s\n" % _quote(path) + _data(os.fsencode(target))
    stream += b"done\n"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), **FIXED_ENV}
    done = subprocess.run(
        ["git", "fast-import", "--quiet", "--done"],
        cwd=repo,
        env=env,
        input=bytes(stream),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"git fast-import failed: {done.stderr.decode(errors='replace')}")
    return git(repo, "rev-parse", ref.decode()).strip()


def snapshot(settings, root: Path, repo: Path, *, branch: str = "main", **limits) -> RepoSnapshot:
    """Fetch ``repo`` through a ``Mirror`` and return the snapshot of ``branch``'s head.

    ``limits`` override ``GitLimits`` fields (``max_blob_bytes``, ``max_files``,
    ``timeout_s``, ``max_mirror_bytes``). Mirrors live in ``<root>/.mirrors``.
    """
    settings.MLTRL_GIT_FILE_ROOT = str(root)
    settings.MLTRL_GIT_MIRROR_DIR = str(root / ".mirrors")
    base = GitLimits.from_settings()
    key = f"{repo.name}-{hashlib.sha256(str(repo).encode()).hexdigest()[:8]}"
    mirror = Mirror(key, f"file://{repo}", dataclasses.replace(base, **limits))
    return mirror.snapshot(mirror.fetch(branch))


class RepoFactory:
    """Builds repositories under one root; returned by the ``repo_factory`` fixture."""

    def __init__(self, settings, root: Path):
        self.settings = settings
        self.root = root

    def repo(self, files: Files, symlinks: Mapping[str, str] | None = None, **kwargs) -> Path:
        return make_repo(self.root, files, symlinks, **kwargs)

    def snapshot(self, repo: Path, **limits) -> RepoSnapshot:
        return snapshot(self.settings, self.root, repo, **limits)

    def commit(self, repo: Path, files: Files, message: str = "change", **kwargs) -> str:
        return commit(repo, files, message, **kwargs)

    def __call__(
        self, files: Files, symlinks: Mapping[str, str] | None = None, **limits
    ) -> RepoSnapshot:
        """A bare repository with ``files`` in one commit, fetched: its snapshot."""
        return self.snapshot(self.repo(files, symlinks, bare=True), **limits)
