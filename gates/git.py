"""Safe, read-only access to linked git repositories through the git CLI.

Nothing from a repository is ever executed or checked out. Every git call:
- gets fixed arguments, with ``--`` before user values where git accepts it;
- runs with a scrubbed environment: no inherited ``GIT_*``, no system or
  global config, no terminal prompt, no askpass, LFS smudge off;
- has hooks off, symlinks off, submodules off, redirects refused, and a
  protocol allow-list;
- has a wall-clock timeout, after which its whole process group is killed.

Repositories are fetched into a cached bare mirror per project, incrementally,
as a shallow (``--depth=1``) partial clone with ``--filter=blob:limit=<blob
cap>``: only the wanted commit's tree, blobs under the cap in the same pack,
larger ones never downloaded; a later fetch sends only what changed. The remote
(its URL, and the promisor setting a filtered fetch needs) is given to the
fetch on its command line (``-c``) and never written to the mirror's config,
so reading a missing blob later fails instead of downloading it behind our
back (git 2.39 would fetch it lazily from a configured promisor, even with
``-c remote.origin.promisor=false``); a mirror written by an older version has
its ``remote.origin`` section removed once. ``ls-tree -l`` then shows ``BAD``
as the size of exactly the oversized blobs. Over ``git://`` the fetch speaks
protocol version 0, whose ref advertisement needs no request: one round trip
fewer than version 2 (on a loopback ``git daemon``, 0.05 s instead of 0.10 s,
docs/performance.md); http(s) keeps version 2, which lets the server send only
the wanted refs. Every fetch adds a pack and a ``shallow`` line; after a run,
``gates.mirror_upkeep`` rewrites a grown mirror to what its branch heads need,
never while a run reads it (``Mirror.reading``, held by ``with snapshot:``).
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from projects.repo_urls import (
    DEFAULT_PORTS,
    branch_name_problem,
    validate_host,
    validate_repository_url,
)

from . import git_messages
from .blob_reader import BlobReader
from .gitcli import SSH_COMMAND, GitError, GitLimits, run_git
from .listing import listing_patch
from .mirror_files import bare_init, branch_heads, fetched_commit
from .mirror_lock import mirror_locked, mirror_reading
from .observed import note_all_content, note_blob, note_blobs, note_listing
from .tree_entries import ChangedPaths, TreeEntry


def mirror_root() -> Path:
    root = Path(settings.MLTRL_GIT_MIRROR_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _pinned_resolve(url: str) -> tuple[str, ...]:
    """Validate the host again at fetch time and pin the connection to the checked
    address: curl's resolve list for http(s); for ssh, ``HostName`` set to the
    address with ``HostKeyAlias`` keeping the host key checked under the host's
    name. (``git://`` is validated but not pinned: git resolves the name itself.)"""
    parts = urlsplit(url)
    if parts.scheme == "file" or not parts.hostname:
        return ()
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    address = validate_host(parts.hostname, port)[0]
    if parts.scheme in ("http", "https"):
        literal = f"[{address}]" if ":" in address else address
        return (f"http.curloptResolve={parts.hostname}:{port}:{literal}",)
    if parts.scheme == "ssh":
        pinned = f"-o HostName={shlex.quote(address)} -o HostKeyAlias={shlex.quote(parts.hostname)}"
        return (f"core.sshCommand={SSH_COMMAND} {pinned}",)
    return ()


def _checked_pins(url: str) -> tuple[str, ...]:
    """``_pinned_resolve`` with its refusals turned into errors for the researcher."""
    try:
        return _pinned_resolve(url)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if "does not resolve" in message:  # DNS trouble may pass
            error = GitError("network", message, transient=True)
            error.host = git_messages.host_of(url)
            raise error from None
        raise GitError("url_refused", message) from None


class Mirror:
    """The cached bare partial clone of one repository."""

    def __init__(self, key: str, url: str, limits: GitLimits | None = None):
        try:
            self.url = validate_repository_url(url, resolve=False)
        except ValidationError as exc:
            raise GitError("url_refused", " ".join(exc.messages)) from None
        self.limits = limits or GitLimits.from_settings()
        self.path = mirror_root() / f"{key}.git"
        self.facts_path = mirror_root() / f"{key}.facts.json"  # see gates.checks.facts
        self.listing_path = mirror_root() / f"{key}.listing"  # see gates.listing
        self.home = str(mirror_root() / ".home")
        Path(self.home).mkdir(exist_ok=True)

    def reading(self) -> contextlib.AbstractContextManager[None]:
        """Hold off upkeep (``gates.mirror_upkeep``) while a run reads the mirror; wait
        for one at work (two git commands, each within the time-out)."""
        return mirror_reading(self.path, wait_s=2 * self.limits.timeout_s + 30)

    def _git(self, args: list[str], **kwargs) -> bytes:
        kwargs.setdefault("timeout_s", self.limits.timeout_s)
        return run_git(args, git_dir=self.path, home=self.home, **kwargs)

    def _read(self, args: list[str], **kwargs) -> bytes:
        """A local, read-only git command (started the cheap way, see gates.gitcli)."""
        return self._git(args, local=True, **kwargs)

    def _remote_config(self) -> tuple[str, ...]:
        """The remote, given on the command line only (see the module docstring)."""
        config = (
            *_checked_pins(self.url),
            f"remote.origin.url={self.url}",
            "remote.origin.promisor=true",
            f"remote.origin.partialclonefilter=blob:limit={self.limits.max_blob_bytes}",
        )
        if urlsplit(self.url).scheme == "git":
            config += ("protocol.version=0",)
        return config

    def fetch(self, branch: str) -> str:
        """Fetch the head of ``branch`` (shallow, blobs under the cap); return its SHA."""
        _check_branch(branch)
        ref = f"refs/heads/{branch}"
        self._fetch_refspec(f"+{ref}:{ref}", branch=branch)
        return fetched_commit(self.path, ref) or self.resolve(ref)

    def remote_branches(self) -> list[str]:
        """The repository's branches, the default first (for error messages)."""
        out = self._git(
            ["ls-remote", "--symref", "origin", "HEAD", "refs/heads/*"],
            extra_config=self._remote_config(),
        )
        return git_messages.parse_ls_remote(out.decode("utf-8", "replace"))

    def fetch_commit(self, sha: str) -> None:
        """Fetch one commit by SHA (a pinned commit that is no longer the branch head)."""
        if len(sha) not in (40, 64) or any(c not in "0123456789abcdef" for c in sha):
            raise GitError("bad_ref", f"{sha!r} is not a full commit SHA.")
        self._fetch_refspec(sha)

    def _fetch_refspec(self, refspec: str, *, branch: str | None = None) -> None:
        """One shallow, filtered, incremental fetch into the mirror.

        ``--depth=1`` brings only the tree of the wanted commit (checks read no
        history); objects the mirror already has are not sent again, so a fetch
        after one new commit moves only what changed.
        """
        remote = self._remote_config()
        with mirror_locked(self.path, wait_s=self.limits.timeout_s + 30) as lock_fd:
            if not (self.path / "HEAD").exists():
                shutil.rmtree(self.path, ignore_errors=True)
                bare_init(self.path)
            self._forget_remote()
            try:
                self._git(
                    [
                        "fetch",
                        "--quiet",
                        "--no-tags",
                        "--no-write-fetch-head",
                        "--no-recurse-submodules",
                        "--no-auto-maintenance",  # off anyway (HARDENING): do not even start it
                        "--depth=1",
                        f"--filter=blob:limit={self.limits.max_blob_bytes}",
                        "origin",
                        refspec,
                    ],
                    extra_config=remote,
                    pass_fds=(lock_fd,),
                    watch_dir=self.path,
                    max_bytes=self.limits.max_mirror_bytes,
                )
            except GitError as exc:
                if exc.kind == "too_large":
                    shutil.rmtree(self.path, ignore_errors=True)
                raise git_messages.explain(
                    exc,
                    url=self.url,
                    branch=branch,
                    branches=self.remote_branches,
                    timeout_s=self.limits.timeout_s,
                ) from None

    def _forget_remote(self) -> None:
        """Remove a ``remote.origin`` section an older version wrote (URL, promisor)."""
        try:
            written = (self.path / "config").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return
        if '[remote "origin"]' in written:
            with contextlib.suppress(GitError):
                self._read(["config", "--remove-section", "remote.origin"], timeout_s=30)

    def resolve(self, ref: str) -> str:
        out = self._read(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"]
        )
        return out.decode().strip()

    def has_commit(self, sha: str) -> bool:
        try:
            return self.resolve(sha) == sha
        except GitError:
            return False

    def changed_paths(self, old: str, new: str) -> ChangedPaths | None:
        """Paths whose blob, mode or presence differ between two commits' trees, with
        each one's mode in ``old`` (``ChangedPaths.old_modes``); None when either
        commit is not in the mirror (any more)."""
        if old == new:
            return ChangedPaths()
        try:
            out = self._read(
                ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-commit-id",
                 "--end-of-options", old, new]
            )  # fmt: skip
        except GitError:
            return None
        parts = out.split(b"\0")
        changed = ChangedPaths()
        # -z --raw: ":<old mode> <new mode> <old sha> <new sha> <status>" NUL <path> NUL
        for meta, raw_path in zip(parts[0::2], parts[1::2], strict=False):
            if not meta.startswith(b":"):
                continue
            path = raw_path.decode("utf-8", "surrogateescape")
            _old_mode, new_mode, _old_sha, new_sha, _status = meta[1:].decode("ascii").split()
            changed.add(path)
            changed.old_modes[path] = meta[1:7].decode("ascii")
            changed.new[path] = (new_mode, new_sha)
        return changed

    def blob_sizes(self, shas: list[str]) -> dict[str, int | None]:
        """Each blob's size (one ``cat-file --batch-check``); None: not in the mirror."""
        out = self._read(["cat-file", "--batch-check"], stdin=("\n".join(shas) + "\n").encode())
        sizes: dict[str, int | None] = dict.fromkeys(shas)
        for line in out.decode("ascii", "replace").splitlines():
            sha, _, rest = line.partition(" ")
            kind, _, size = rest.partition(" ")
            if sha in sizes and kind == "blob" and size.isdigit():
                sizes[sha] = int(size)
        return sizes

    def snapshot(self, sha: str) -> RepoSnapshot:
        return RepoSnapshot(self, sha)

    def head_blob_keys(self, known: dict[str, set[str]] | None = None) -> set[str]:
        """``"<blob sha>:<path>"`` of every file at the mirror's branch heads (the facts
        store keeps these; see gates.checks.facts). ``known``: the keys of commits
        already listed (the run's own), which are not listed again."""
        known = known or {}
        heads = branch_heads(self.path)
        if heads is None:
            heads = self._read(["for-each-ref", "--format=%(objectname)", "refs/heads/"]).split()
            heads = [h.decode() for h in heads]
        keys: set[str] = set()
        for head in dict.fromkeys(heads):
            if head in known:
                keys |= known[head]
            else:
                keys.update(f"{e._sha}:{e.path}" for e in RepoSnapshot(self, head)._iter_tree())
        return keys


def _check_branch(branch: str) -> None:
    problem = branch_name_problem(branch)
    if problem:
        raise GitError("bad_ref", problem)


class RepoSnapshot:
    """The tree of one commit, read without a checkout. Symlinks are never followed."""

    def __init__(self, mirror: Mirror, sha: str):
        self.mirror = mirror
        self.sha = sha
        self._entries: dict[str, TreeEntry] | None = None
        self._reader = BlobReader(mirror.path, mirror.home, mirror.limits.timeout_s)
        self._base: tuple[list, ChangedPaths] | None = None
        self._held = contextlib.ExitStack()

    def patch_listing(self, rows: list | None, changed: ChangedPaths | None) -> None:
        """List the tree by applying ``changed`` to ``rows``, the listing of the commit
        they start from (``gates.listing``), instead of ``ls-tree``; None: list it."""
        if rows is not None and changed is not None and self._entries is None:
            self._base = (rows, changed)

    def __enter__(self) -> RepoSnapshot:
        """Read every blob through one ``cat-file --batch`` until the block ends, with
        the mirror's upkeep held off (``Mirror.reading``)."""
        self._held.enter_context(self.mirror.reading())
        self._reader.persistent = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._reader.persistent = False
        self._reader.close()
        self._held.close()

    def entries(self) -> dict[str, TreeEntry]:
        """Every entry of the tree (files, symlinks, submodules), by path; capped in count."""
        note_listing()
        if self._entries is None:
            self._entries = {}
            for entry in self._iter_tree() if self._base is None else self._patched():
                if len(self._entries) >= self.mirror.limits.max_files:
                    raise GitError(
                        "too_many_files",
                        f"The repository has more than {self.mirror.limits.max_files:,} files, "
                        "this server's limit.",
                    )
                self._entries[entry.path] = entry
        return self._entries

    def _patched(self) -> list[TreeEntry]:
        rows, changed = self._base
        try:
            return listing_patch(rows, changed, self.mirror.blob_sizes, TreeEntry)
        except (GitError, ValueError, TypeError, IndexError):  # a cache: list the tree
            return list(self._iter_tree())

    def _iter_tree(self) -> Iterator[TreeEntry]:
        out = self.mirror._read(["ls-tree", "-r", "-l", "-z", "--full-tree", self.sha])
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, _kind, sha, size = meta.decode().split()
            path = raw_path.decode("utf-8", "surrogateescape")
            yield TreeEntry(path, mode, sha, None if size in ("BAD", "-") else int(size))

    def grep(
        self, pattern: str, *, pathspecs: Iterable[str] = ()
    ) -> Iterator[tuple[str, int, str]]:
        """(path, line number, line) of regular text files matching a PCRE ``pattern``.

        git reads the blobs in C, in threads, without a checkout: far faster than
        streaming every file through Python. Binary files (``-I``), symlinks,
        submodules and blobs over the fetch cap (git cannot read them; it says so
        on stderr and goes on) are left out.
        """
        pathspecs = list(pathspecs)
        if pathspecs and all(p.startswith(":(literal)") for p in pathspecs):
            note_blobs(p.removeprefix(":(literal)") for p in pathspecs)
        else:
            note_all_content()
        out = self.mirror._read(
            ["grep", "-I", "-n", "-z", "--no-color", "-P", "-e", pattern, self.sha, "--",
             *pathspecs],
            ok_codes=(0, 1),  # 1: no line matched
        )  # fmt: skip
        entries = self.entries()
        prefix = len(self.sha) + 1  # "<sha>:" before each path
        for record in out.split(b"\n"):
            if not record:
                continue
            raw_path, _, rest = record.partition(b"\0")
            number, _, line = rest.partition(b"\0")
            path = raw_path[prefix:].decode("utf-8", "surrogateescape")
            entry = entries.get(path)
            if entry is None or not entry.is_file:
                continue
            yield path, int(number), line.decode("utf-8", "replace")

    def read_bytes(self, path: str, *, limit: int | None = None) -> bytes | None:
        """A regular file's content; None for symlinks, submodules, missing or oversized."""
        note_blob(path)
        entry = self.entries().get(path)
        if entry is None or not entry.is_file or entry.size is None:
            return None
        if limit is not None and entry.size > limit:
            return None
        return self._reader.read(entry.sha, path)

    def read_text(self, path: str, *, limit: int = 1_000_000) -> str | None:
        data = self.read_bytes(path, limit=limit)
        return None if data is None else data.decode("utf-8", "replace")

    def iter_texts(
        self, paths: Iterable[str], *, limit: int = 1_000_000
    ) -> Iterator[tuple[str, str]]:
        """Stream (path, text) for many regular files through one ``cat-file --batch``.

        Files over ``limit``, binary files (a NUL byte in the first 8 KiB),
        symlinks and missing blobs are skipped. One blob is in memory at a time.
        """
        paths = list(paths)
        note_blobs(paths)
        entries = self.entries()
        wanted = [
            entries[p]
            for p in paths
            if p in entries
            and entries[p].is_file
            and entries[p].size is not None
            and entries[p].size <= limit
        ]
        for path, data in self._reader.stream([(e.path, e._sha) for e in wanted]):
            if b"\0" in data[:8192]:
                continue
            yield path, data.decode("utf-8", "replace")
