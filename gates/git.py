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
larger ones never downloaded; a later fetch sends only what changed. Right after each fetch the
promisor setting is removed, so reading a missing blob later fails instead of
downloading it behind our back (git 2.39 would fetch it lazily otherwise, even
with ``-c remote.origin.promisor=false``). ``ls-tree -l`` then shows ``BAD`` as
the size of exactly the oversized blobs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
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


class GitError(Exception):
    """A git operation failed; ``message`` is for the researcher, ``transient`` for retries."""

    def __init__(self, kind: str, message: str, *, transient: bool = False, detail: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.transient = transient
        self.detail = detail


@dataclass(frozen=True)
class GitLimits:
    timeout_s: float
    max_blob_bytes: int
    max_files: int
    max_mirror_bytes: int

    @classmethod
    def from_settings(cls) -> GitLimits:
        return cls(
            timeout_s=settings.MLTRL_GIT_TIMEOUT_S,
            max_blob_bytes=settings.MLTRL_GIT_MAX_BLOB_BYTES,
            max_files=settings.MLTRL_GIT_MAX_FILES,
            max_mirror_bytes=settings.MLTRL_GIT_MAX_MIRROR_BYTES,
        )


HARDENING = (
    "core.hooksPath=/dev/null",
    "core.symlinks=false",
    "core.fsmonitor=false",
    "core.askPass=",
    "credential.helper=",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "fetch.fsckObjects=false",
    "http.followRedirects=false",
    "http.lowSpeedLimit=1000",
    "http.lowSpeedTime=20",
    "protocol.allow=never",
    "protocol.file.allow=never",
    "protocol.ext.allow=never",
    "filter.lfs.smudge=",
    "filter.lfs.process=",
    "filter.lfs.required=false",
    "gc.auto=0",
    "maintenance.auto=false",
)


def _protocol_config() -> tuple[str, ...]:
    allowed = [s.lower() for s in settings.MLTRL_GIT_ALLOWED_SCHEMES]
    if settings.MLTRL_GIT_FILE_ROOT:
        allowed.append("file")
    return tuple(f"protocol.{scheme}.allow=always" for scheme in sorted(set(allowed)))


def git_env(home: str) -> dict[str, str]:
    """The only environment git sees: nothing inherited that could steer it."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": ":".join(
            sorted({*settings.MLTRL_GIT_ALLOWED_SCHEMES, "file"})
            if settings.MLTRL_GIT_FILE_ROOT
            else sorted(set(settings.MLTRL_GIT_ALLOWED_SCHEMES))
        ),
    }


def _classify(stderr: str) -> GitError:
    """Turn git's stderr into an error a researcher can act on."""
    text = stderr.lower()
    detail = stderr.strip()[-2000:]
    if "couldn't find remote ref" in text or "invalid refspec" in text:
        return GitError(
            "ref_not_found", "The branch does not exist in the repository.", detail=detail
        )
    if any(
        s in text
        for s in (
            "authentication failed",
            "could not read username",
            "could not read password",
            "terminal prompts disabled",
            "permission denied (publickey",
            "returned error: 401",
            "returned error: 403",
            "host key verification failed",
        )
    ):
        return GitError(
            "auth_required",
            "The repository needs authentication; this server only reads public repositories "
            "(or ask an administrator to configure access).",
            detail=detail,
        )
    if any(
        s in text
        for s in (
            "repository not found",
            "no such repository",
            "not exported",
            "does not appear to be a git repository",
            "returned error: 404",
            "not found",
            "no such file or directory",
        )
    ):
        return GitError("not_found", "The repository was not found at that URL.", detail=detail)
    if "returned error: 30" in text or "redirect" in text:
        return GitError(
            "redirect_refused",
            "The server answered with a redirect; redirects are not followed. "
            "Link the repository's final URL instead.",
            detail=detail,
        )
    if any(
        s in text
        for s in (
            "could not resolve host",
            "connection refused",
            "connection timed out",
            "connection reset",
            "early eof",
            "rpc failed",
            "returned error: 5",
            "operation too slow",
            "unable to access",
            "the remote end hung up",
        )
    ):
        return GitError(
            "network",
            "The repository server could not be reached; retrying.",
            transient=True,
            detail=detail,
        )
    return GitError("git_failed", "git could not read the repository.", detail=detail)


def run_git(
    args: list[str],
    *,
    git_dir: Path | None,
    home: str,
    timeout_s: float,
    extra_config: tuple[str, ...] = (),
    watch_dir: Path | None = None,
    max_bytes: int | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> bytes:
    """Run one hardened git command; kill its process group on timeout or size overrun."""
    command = ["git"]
    for item in (*HARDENING, *_protocol_config(), *extra_config):
        command += ["-c", item]
    if git_dir is not None:
        command += ["--git-dir", str(git_dir)]
    command += args
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=git_env(home),
            cwd=home,
            start_new_session=True,
        )
        overrun = threading.Event()
        if watch_dir is not None and max_bytes is not None:
            threading.Thread(
                target=_watch_size, args=(process, watch_dir, max_bytes, overrun), daemon=True
            ).start()
        # Popen.wait(timeout=...) polls with sleeps (up to 50 ms late per call);
        # block in wait() instead and let a timer kill the group on time-out.
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            _kill_group(process)

        timer = threading.Timer(timeout_s, expire)
        timer.start()
        try:
            code = process.wait()
        finally:
            timer.cancel()
        if timed_out.is_set():
            raise GitError(
                "timeout",
                f"git took longer than {timeout_s:.0f} s and was stopped; "
                "the server may be stalled or the repository too large.",
                transient=True,
            ) from None
        if watch_dir is not None and max_bytes is not None and _dir_size(watch_dir) > max_bytes:
            overrun.set()
        if overrun.is_set():
            raise GitError(
                "too_large",
                f"The repository is larger than this server's limit of {max_bytes:,} bytes.",
            )
        out.seek(0)
        err.seek(0)
        stdout = out.read()
        stderr = err.read().decode("utf-8", "replace")
    if code not in ok_codes:
        raise _classify(stderr)
    return stdout


def _kill_group(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def _watch_size(process: subprocess.Popen, path: Path, limit: int, overrun: threading.Event):
    while process.poll() is None:
        if _dir_size(path) > limit:
            overrun.set()
            _kill_group(process)
            return
        time.sleep(0.2)


def mirror_root() -> Path:
    root = Path(settings.MLTRL_GIT_MIRROR_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time per mirror (fetching, unsetting promisor, reading)."""
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _pinned_resolve(url: str) -> tuple[str, ...]:
    """Validate the host again at fetch time and pin https/http to the checked address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        if parts.scheme not in ("file",) and parts.hostname:
            validate_host(parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme, 443))
        return ()
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    addresses = validate_host(parts.hostname, port)
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    return (f"http.curloptResolve={parts.hostname}:{port}:{literal}",)


def _checked_pins(url: str) -> tuple[str, ...]:
    """``_pinned_resolve`` with its refusals turned into errors for the researcher."""
    try:
        return _pinned_resolve(url)
    except ValidationError as exc:
        message = " ".join(exc.messages)
        if "does not resolve" in message:  # DNS trouble may pass
            raise GitError("network", message, transient=True) from None
        raise GitError("url_refused", message) from None


@dataclass(frozen=True)
class TreeEntry:
    path: str  # decoded with surrogateescape; non-UTF-8 names survive
    mode: str
    sha: str
    size: int | None  # None: the blob was not downloaded (over the blob cap)

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.mode == "160000"


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
        self.home = str(mirror_root() / ".home")
        Path(self.home).mkdir(exist_ok=True)

    def _git(self, args: list[str], **kwargs) -> bytes:
        kwargs.setdefault("timeout_s", self.limits.timeout_s)
        return run_git(args, git_dir=self.path, home=self.home, **kwargs)

    def fetch(self, branch: str) -> str:
        """Fetch the head of ``branch`` (shallow, blobs under the cap); return its SHA."""
        _check_branch(branch)
        ref = f"refs/heads/{branch}"
        self._fetch_refspec(f"+{ref}:{ref}")
        return self.resolve(ref)

    def fetch_commit(self, sha: str) -> None:
        """Fetch one commit by SHA (a pinned commit that is no longer the branch head)."""
        if len(sha) not in (40, 64) or any(c not in "0123456789abcdef" for c in sha):
            raise GitError("bad_ref", f"{sha!r} is not a full commit SHA.")
        self._fetch_refspec(sha)

    def _fetch_refspec(self, refspec: str) -> None:
        """One shallow, filtered, incremental fetch into the mirror.

        ``--depth=1`` brings only the tree of the wanted commit (checks read no
        history); objects the mirror already has are not sent again, so a fetch
        after one new commit moves only what changed.
        """
        pins = _checked_pins(self.url)
        with _locked(self.path):
            if not (self.path / "HEAD").exists():
                shutil.rmtree(self.path, ignore_errors=True)
                run_git(
                    ["init", "--quiet", "--bare", "--", str(self.path)],
                    git_dir=None,
                    home=self.home,
                    timeout_s=30,
                )
            self._git(["config", "remote.origin.url", self.url], timeout_s=30)
            try:
                self._git(
                    [
                        "fetch",
                        "--quiet",
                        "--no-tags",
                        "--no-write-fetch-head",
                        "--no-recurse-submodules",
                        "--depth=1",
                        f"--filter=blob:limit={self.limits.max_blob_bytes}",
                        "origin",
                        refspec,
                    ],
                    extra_config=pins,
                    watch_dir=self.path,
                    max_bytes=self.limits.max_mirror_bytes,
                )
            except GitError as exc:
                if exc.kind == "too_large":
                    shutil.rmtree(self.path, ignore_errors=True)
                raise
            finally:
                self._forget_promisor()

    def _forget_promisor(self) -> None:
        for key in ("remote.origin.promisor", "remote.origin.partialclonefilter"):
            with contextlib.suppress(GitError):  # not set when the fetch failed early
                self._git(["config", "--unset-all", key], timeout_s=30)

    def resolve(self, ref: str) -> str:
        out = self._git(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"]
        )
        return out.decode().strip()

    def has_commit(self, sha: str) -> bool:
        try:
            return self.resolve(sha) == sha
        except GitError:
            return False

    def snapshot(self, sha: str) -> RepoSnapshot:
        return RepoSnapshot(self, sha)


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

    def entries(self) -> dict[str, TreeEntry]:
        """Every entry of the tree (files, symlinks, submodules), by path; capped in count."""
        if self._entries is None:
            self._entries = {}
            for entry in self._iter_tree():
                if len(self._entries) >= self.mirror.limits.max_files:
                    raise GitError(
                        "too_many_files",
                        f"The repository has more than {self.mirror.limits.max_files:,} files, "
                        "this server's limit.",
                    )
                self._entries[entry.path] = entry
        return self._entries

    def _iter_tree(self) -> Iterator[TreeEntry]:
        out = self.mirror._git(["ls-tree", "-r", "-l", "-z", "--full-tree", self.sha])
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
        out = self.mirror._git(
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
        entry = self.entries().get(path)
        if entry is None or not entry.is_file or entry.size is None:
            return None
        if limit is not None and entry.size > limit:
            return None
        return self.mirror._git(["cat-file", "blob", entry.sha])

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
        entries = self.entries()
        wanted = [
            entries[p]
            for p in paths
            if p in entries
            and entries[p].is_file
            and entries[p].size is not None
            and entries[p].size <= limit
        ]
        if not wanted:
            return
        command = ["git"]
        for item in HARDENING:
            command += ["-c", item]
        command += ["--git-dir", str(self.mirror.path), "cat-file", "--batch"]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(self.mirror.home),
            cwd=self.mirror.home,
            start_new_session=True,
        )
        feeder = threading.Thread(
            target=_feed_shas, args=(process, [e.sha for e in wanted]), daemon=True
        )
        feeder.start()
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            _kill_group(process)

        timer = threading.Timer(self.mirror.limits.timeout_s, expire)
        timer.start()
        try:
            for entry in wanted:
                header = process.stdout.readline().split()
                if timed_out.is_set():
                    raise GitError(
                        "timeout",
                        f"Reading the repository took longer than "
                        f"{self.mirror.limits.timeout_s:.0f} s and was stopped.",
                        transient=True,
                    )
                if len(header) != 3:
                    raise GitError("git_failed", f"git could not read {entry.path!r}.")
                data = process.stdout.read(int(header[2]) + 1)[:-1]
                if b"\0" in data[:8192]:
                    continue
                yield entry.path, data.decode("utf-8", "replace")
        finally:
            timer.cancel()
            _kill_group(process)
            for pipe in (process.stdin, process.stdout):
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()


def _feed_shas(process: subprocess.Popen, shas: list[str]) -> None:
    try:
        for sha in shas:
            process.stdin.write(f"{sha}\n".encode())
        process.stdin.close()
    except (BrokenPipeError, ValueError):
        pass
