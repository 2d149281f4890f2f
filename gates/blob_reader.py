"""One ``git cat-file --batch`` process reading every blob a run needs.

Starting a git process costs more than reading a small file through one
already running, and a run on a small repository reads a dozen documents one
by one. A ``BlobReader`` keeps one hardened ``cat-file --batch`` per snapshot
while the snapshot is open (``with snapshot:``, as the engine does; outside
such a block every read and stream has a process of its own, ended when it
is done, as before): ``read`` asks for one blob and waits for it; ``stream``
sends many SHAs from a feeder thread while the caller reads the answers in
order (one blob in memory at a time). While a stream is open the process is busy: a ``read`` made in
between (a check reading a file inside its loop) gets its own short-lived
``cat-file``, and a nested stream its own reader, so answers never mix.

Every wait is bounded by the git time-out, after which the process group is
killed and the read fails as ``timeout``; a stream left before its end, or any
error, also ends the process (the next read starts a new one).
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from .gitcli import HARDENING, GitError, git_env, git_popen, kill_group, run_git
from .watchdog import call_later


class BlobReader:
    def __init__(self, git_dir: Path, home: str, timeout_s: float):
        self.git_dir, self.home, self.timeout_s = git_dir, home, timeout_s
        self.process: subprocess.Popen | None = None
        self.busy = False
        self.persistent = False  # keep the process between reads (see the docstring)

    def _start(self) -> subprocess.Popen:
        if self.process is None or self.process.poll() is not None:
            command = ["git"]
            for item in HARDENING:
                command += ["-c", item]
            command += ["--git-dir", str(self.git_dir), "cat-file", "--batch"]
            self.process = git_popen(
                command,
                local=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=git_env(self.home),
                cwd=self.home,
            )
        return self.process

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        kill_group(process)
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[threading.Event]:
        """Kill the process when the git time-out passes; the caller sees the flag."""
        expired = threading.Event()
        process = self.process

        def expire() -> None:
            expired.set()
            if process is not None:
                kill_group(process)

        deadline = call_later(self.timeout_s, expire)
        try:
            yield expired
        finally:
            deadline.cancel()

    def _timeout(self) -> GitError:
        self.close()
        return GitError(
            "timeout",
            f"Reading the repository took longer than {self.timeout_s:.0f} s and was stopped.",
            transient=True,
        )

    def _answer(self, process: subprocess.Popen, expired: threading.Event, what: str) -> bytes:
        header = process.stdout.readline().split()
        if expired.is_set():
            raise self._timeout()
        if len(header) != 3:
            self.close()
            raise GitError("git_failed", f"git could not read {what!r}.")
        return process.stdout.read(int(header[2]) + 1)[:-1]

    def read(self, sha: str, what: str) -> bytes:
        """The content of one blob (``what`` names it in errors)."""
        if self.busy or not self.persistent:  # a process of its own for this one
            return run_git(
                ["cat-file", "blob", sha],
                git_dir=self.git_dir,
                home=self.home,
                timeout_s=self.timeout_s,
                local=True,
            )
        process = self._start()
        try:
            with self._deadline() as expired:
                process.stdin.write(f"{sha}\n".encode())
                process.stdin.flush()
                return self._answer(process, expired, what)
        except (BrokenPipeError, ValueError):
            self.close()
            raise GitError("git_failed", f"git could not read {what!r}.") from None

    def stream(self, items: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
        """(name, content) for each (name, blob sha), in order."""
        if not items:
            return
        if self.busy:  # nested: a reader of its own
            inner = BlobReader(self.git_dir, self.home, self.timeout_s)
            try:
                yield from inner.stream(items)
            finally:
                inner.close()
            return
        process = self._start()
        self.busy = True
        finished = False
        feeder = threading.Thread(
            target=_feed, args=(process, [sha for _name, sha in items]), daemon=True
        )
        feeder.start()
        try:
            with self._deadline() as expired:
                for name, _sha in items:
                    yield name, self._answer(process, expired, name)
            finished = True
        finally:
            self.busy = False
            if not finished or not self.persistent:  # unread answers would mix with the next
                self.close()


def _feed(process: subprocess.Popen, shas: list[str]) -> None:
    try:
        process.stdin.write("".join(f"{sha}\n" for sha in shas).encode())
        process.stdin.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass
