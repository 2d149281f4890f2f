"""Running the git CLI safely: hardened configuration, a scrubbed environment,
time-outs that kill the whole process group, size caps, and errors classified
into sentences a researcher can act on (``GitError``).

git children never outlive the worker: each runs in its own process group
that this process records and kills on time-out, on the soft time limit (any
exception while waiting) and at worker shutdown (``kill_live_groups``); and
each asks the kernel to kill it if its parent dies (``PR_SET_PDEATHSIG``), so
a SIGKILLed pool process leaves no ``git fetch`` behind holding the mirror.

Spawning is most of a small run's fixed cost: a ``preexec_fn`` makes Python
fork the whole worker (5.3 ms a process on the benchmark machine when quiet,
10-20 ms under load) instead of using ``vfork`` (~1.3 ms). So git is started
through ``setpriv --pdeathsig KILL`` (util-linux), which arms the signal
before it executes git. Network commands (``fetch``, ``ls-remote``), which
hold the mirror lock and may wait on a server, go through a one-line ``sh``
guard as well: it ends the child at once if the parent died before the
signal was armed (its parent is then no longer the worker), as the
``preexec_fn`` did. Local read-only commands (``local=True``: ``ls-tree``,
``cat-file``, ``grep``...) skip the guard: a parent killed in that instant
leaves a child that holds no lock and ends on its own (its work is bounded,
and a ``cat-file --batch`` reader sees its input close). Without a working
``setpriv`` every command takes the ``preexec_fn`` path.

``gates.git`` builds mirrors and snapshots on top of ``run_git``.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from .git_messages import classify
from .watchdog import call_later


class GitError(Exception):
    """A git operation failed; ``message`` is for the researcher, ``transient`` for retries."""

    def __init__(self, kind: str, message: str, *, transient: bool = False, detail: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.transient = transient
        self.detail = detail
        self.host = ""  # the server it concerns, when known (``git_messages.explain``)


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


# Never prompts, never accepts an unknown host key. ``gates.git`` appends the
# address the host was validated at (``-o HostName=``) for each ssh fetch.
SSH_COMMAND = "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes"

HARDENING = (
    f"core.sshCommand={SSH_COMMAND}",
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
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ALLOW_PROTOCOL": ":".join(
            sorted({*settings.MLTRL_GIT_ALLOWED_SCHEMES, "file"})
            if settings.MLTRL_GIT_FILE_ROOT
            else sorted(set(settings.MLTRL_GIT_ALLOWED_SCHEMES))
        ),
    }


def _classify(stderr: str) -> GitError:
    """Turn git's stderr into an error a researcher can act on (see ``gates.git_messages``)."""
    kind, message, transient = classify(stderr)
    return GitError(kind, message, transient=transient, detail=stderr.strip()[-2000:])


_PR_SET_PDEATHSIG = 1
# Looked up once here: the child must not load libraries between fork and exec.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

_live_groups: set[int] = set()
_live_lock = threading.Lock()


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn``: the kernel sends SIGKILL to the child when its parent dies.

    Checks the parent again after ``prctl``: had it died in between, the
    signal would never come, so the child ends itself.
    """
    if _prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


# Run by ``sh`` between ``setpriv`` and git: $0 is the worker's pid.
_PARENT_GUARD = '[ "$PPID" = "$0" ] || exit 125; exec "$@"'


@functools.cache
def _setpriv() -> str | None:
    """``setpriv`` if it can arm the parent-death signal here, guard included (checked once)."""
    path = shutil.which("setpriv")
    if path is None or _prctl is None or not os.path.exists("/bin/sh"):
        return None
    probe = [path, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _PARENT_GUARD, str(os.getpid())]
    try:
        done = subprocess.run([*probe, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if done.returncode == 0 else None


def git_popen(command: list[str], *, local: bool = False, **kwargs) -> subprocess.Popen:
    """Start a git process in its own group, recorded so shutdown can kill it.

    ``local``: a read-only command on the mirror, started without the parent
    guard (see the module docstring); network commands must leave it False.
    """
    setpriv = _setpriv()
    preexec = None
    if setpriv is None:
        preexec = die_with_parent()
    elif local:
        command = [setpriv, "--pdeathsig", "KILL", "--", *command]
    else:
        guard = ["/bin/sh", "-c", _PARENT_GUARD, str(os.getpid())]
        command = [setpriv, "--pdeathsig", "KILL", "--", *guard, *command]
    process = subprocess.Popen(command, start_new_session=True, preexec_fn=preexec, **kwargs)
    with _live_lock:
        _live_groups.add(process.pid)
    return process


def kill_live_groups() -> int:
    """Kill every git process group this process started and that still runs."""
    with _live_lock:
        groups = list(_live_groups)
        _live_groups.clear()
    for pgid in groups:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    return len(groups)


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
    pass_fds: tuple[int, ...] = (),
    local: bool = False,
    stdin: bytes | None = None,
) -> bytes:
    """Run one hardened git command; kill its process group on timeout or size overrun.

    ``pass_fds`` are inherited by git and its children (the mirror's lock: it
    stays held while any of them lives). ``local``: see ``git_popen``.
    ``stdin``: what git reads (from a file, so no thread has to write it).
    """
    command = ["git"]
    for item in (*HARDENING, *_protocol_config(), *extra_config):
        command += ["-c", item]
    if git_dir is not None:
        command += ["--git-dir", str(git_dir)]
    command += args
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() if stdin is not None else nullcontext() as given,
    ):
        if stdin is not None:
            given.write(stdin)
            given.seek(0)
        process = git_popen(
            command,
            stdin=subprocess.DEVNULL if stdin is None else given,
            stdout=out,
            stderr=err,
            env=git_env(home),
            cwd=home,
            pass_fds=pass_fds,
            local=local,
        )
        overrun = threading.Event()
        watch = None
        if watch_dir is not None and max_bytes is not None:
            watch = _SizeWatch(process, watch_dir, max_bytes, overrun)
        # Popen.wait(timeout=...) polls with sleeps (up to 50 ms late per call);
        # block in wait() instead and let the watchdog kill the group on time-out.
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            kill_group(process)

        deadline = call_later(timeout_s, expire)
        try:
            code = process.wait()
        except BaseException:  # soft time limit, shutdown: git must not outlive the wait
            kill_group(process)
            raise
        finally:
            deadline.cancel()
            if watch is not None:
                watch.stop()
            _forget(process)
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


def kill_group(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    _forget(process)


def _forget(process: subprocess.Popen) -> None:
    """The group is gone once its leader was waited for and it ran nothing else."""
    if process.returncode is not None:
        with _live_lock:
            _live_groups.discard(process.pid)


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


class _SizeWatch:
    """Kills ``process`` when ``path`` grows past ``limit``: tested at once, then every
    0.2 s on the watchdog thread (``gates.watchdog``) while the process lives."""

    INTERVAL_S = 0.2

    def __init__(self, process: subprocess.Popen, path: Path, limit: int, overrun: threading.Event):
        self.process, self.path, self.limit, self.overrun = process, path, limit, overrun
        self.stopped = False
        self.deadline = call_later(0, self._test)

    def _test(self) -> None:
        if self.stopped or self.process.poll() is not None:
            return
        if _dir_size(self.path) > self.limit:
            self.overrun.set()
            kill_group(self.process)
            return
        self.deadline = call_later(self.INTERVAL_S, self._test)

    def stop(self) -> None:
        self.stopped = True
        self.deadline.cancel()
