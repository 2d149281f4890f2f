"""Where a check run's time goes: git spawns, database queries, Python in checks.

Used by ``benchmarks/check_run.py --breakdown`` and ``benchmarks/check_run_small.py``.
Nothing here is imported by the application: the counters are installed by
wrapping functions for the duration of one run (``Breakdown.measure()``), so
runs measured without it pay nothing.

Measured, for one run:

- **git**: every process the engine starts (``gates.gitcli.git_popen``), by
  git sub-command, with its time from spawn to exit (for the long-lived
  ``cat-file --batch`` readers: to the reader's end), and the blobs read
  through a running reader with the time spent waiting for them;
- **database**: every query on the run's connection (the heartbeat thread's
  are not counted), its time, and how many of them write (INSERT, UPDATE,
  DELETE, SAVEPOINT and transaction statements counted apart);
- **checks**: wall time inside each check that ran (not reused), and of that
  the time spent waiting for git inside it (processes and blob reads), so
  Python time = wall - git;
- **stages**: fetch, listing, checks, facts save, finish (wall time); the fact store
  and the stored listing are read on a helper thread during the fetch.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")
_TX_VERBS = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


def _git_verb(command: list[str]) -> str:
    """The sub-command of a git command line (after the ``-c`` options)."""
    args = list(command[1:])
    while args:
        head = args.pop(0)
        if head in ("-c", "--git-dir"):
            args.pop(0) if args else None
            continue
        if head.startswith("-"):
            continue
        if head in ("cat-file", "config") and args:
            return f"{head} {args[0]}"
        return head
    return "?"


class Breakdown:
    """Counters for one measured run (see the module docstring)."""

    def __init__(self) -> None:
        self.spawns: Counter[str] = Counter()
        self.git_s: defaultdict[str, float] = defaultdict(float)
        self.reads = 0
        self.read_s = 0.0
        self.queries = 0
        self.query_s = 0.0
        self.writes = 0
        self.transaction_statements = 0
        self.check_wall: dict[str, float] = {}
        self.check_git: dict[str, float] = {}
        self.stages: defaultdict[str, float] = defaultdict(float)
        self._in_check: str | None = None
        self._lock = threading.Lock()

    # --- git -------------------------------------------------------------------------
    def _note_git(self, verb: str, seconds: float) -> None:
        with self._lock:
            self.spawns[verb] += 1
            self.git_s[verb] += seconds
            if self._in_check is not None and verb != "cat-file --batch":
                self.check_git[self._in_check] = self.check_git.get(self._in_check, 0) + seconds

    def _note_read(self, seconds: float) -> None:
        """One answer of a running ``cat-file --batch`` (waiting for it, reading it)."""
        self.reads += 1
        self.read_s += seconds
        if self._in_check is not None:
            self.check_git[self._in_check] = self.check_git.get(self._in_check, 0) + seconds

    # --- database --------------------------------------------------------------------
    def _query(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.query_s += time.perf_counter() - start
            verb = sql.lstrip().split(" ", 1)[0].upper()
            self.queries += 1
            self.writes += verb in _WRITE_VERBS
            self.transaction_statements += verb in _TX_VERBS

    @contextlib.contextmanager
    def measure(self) -> Iterator[Breakdown]:
        """Install the counters for the duration of the block."""
        from django.db import connection

        import gates.engine as engine
        import gates.git as git
        import gates.gitcli as gitcli

        patches: list[tuple[object, str, object]] = []

        def patch(owner: object, name: str, value: object) -> None:
            patches.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

        original_popen = gitcli.git_popen

        def counted_popen(command, **kwargs):
            process = original_popen(command, **kwargs)
            verb, start = _git_verb(command), time.perf_counter()
            original_wait = process.wait

            def wait(*args, **kw):
                try:
                    return original_wait(*args, **kw)
                finally:
                    if not getattr(process, "_bench_noted", False):
                        process._bench_noted = True
                        self._note_git(verb, time.perf_counter() - start)

            process.wait = wait
            return process

        patch(gitcli, "git_popen", counted_popen)
        try:
            import gates.blob_reader as blob_reader
        except ImportError:  # measuring a version from before the blob reader
            patch(git, "git_popen", counted_popen)
            self._stage_patches(patch, engine, git)
            with connection.execute_wrapper(self._query):
                try:
                    yield self
                finally:
                    for owner, name, value in reversed(patches):
                        setattr(owner, name, value)
            return
        patch(blob_reader, "git_popen", counted_popen)
        original_answer = blob_reader.BlobReader._answer

        def timed_answer(reader, *args):
            start = time.perf_counter()
            try:
                return original_answer(reader, *args)
            finally:
                self._note_read(time.perf_counter() - start)

        patch(blob_reader.BlobReader, "_answer", timed_answer)
        original_run_one = engine._run_one

        def timed_check(check, context):
            self._in_check = check.key
            start = time.perf_counter()
            try:
                return original_run_one(check, context)
            finally:
                self.check_wall[check.key] = time.perf_counter() - start
                self._in_check = None

        patch(engine, "_run_one", timed_check)
        self._stage_patches(patch, engine, git)
        try:
            with connection.execute_wrapper(self._query):
                yield self
        finally:
            for owner, name, value in reversed(patches):
                setattr(owner, name, value)

    def _stage_patches(self, patch, engine, git) -> None:
        """Wall time of the run's stages, by wrapping the functions that do them."""

        def staged(stage: str, func):
            def wrapper(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return func(*args, **kwargs)
                finally:
                    self.stages[stage] += time.perf_counter() - start

            return wrapper

        patch(git.Mirror, "fetch", staged("fetch", git.Mirror.fetch))
        patch(engine, "run_claim", staged("claim", engine.run_claim))
        patch(engine, "_adopt_commit", staged("adopt commit", engine._adopt_commit))
        patch(engine, "_finish", staged("finish (evidence level)", engine._finish))
        from gates import run_prepare
        from gates.checks.facts import FactStore

        # Read on a helper thread while git fetches: time beside the fetch, not after it.
        patch(FactStore, "load", staged("facts load (beside the fetch)", FactStore.load))
        patch(run_prepare, "listing_load", staged("listing load (beside the fetch)",
                                                   run_prepare.listing_load))  # fmt: skip
        listing = staged("listing (changes, patch or ls-tree)", run_prepare.Preparation.result)
        patch(run_prepare.Preparation, "result", listing)
        patch(FactStore, "save", staged("facts save", FactStore.save))
        patch(engine, "listing_save", staged("listing save", engine.listing_save))
        patch(engine._ResultBatch, "flush", staged("results flush", engine._ResultBatch.flush))
        patch(git.Mirror, "head_blob_keys", staged("head blob keys", git.Mirror.head_blob_keys))

    def report(self, total_s: float) -> dict:
        checks_wall = sum(self.check_wall.values())
        checks_git = sum(self.check_git.values())
        return {
            "total_s": round(total_s, 4),
            "git_spawns": sum(self.spawns.values()),
            "git_s": round(sum(self.git_s.values()), 4),
            "git_by_command": {
                verb: {"n": n, "s": round(self.git_s[verb], 4)}
                for verb, n in self.spawns.most_common()
            },
            "blobs_read_through_cat_file_batch": self.reads,
            "blob_read_s": round(self.read_s, 4),
            "queries": self.queries,
            "query_s": round(self.query_s, 4),
            "writes": self.writes,
            "transaction_statements": self.transaction_statements,
            "checks_run": len(self.check_wall),
            "checks_wall_s": round(checks_wall, 4),
            "checks_git_s": round(checks_git, 4),
            "checks_python_s": round(checks_wall - checks_git, 4),
            "slowest_checks": {
                k: round(v, 4)
                for k, v in sorted(self.check_wall.items(), key=lambda kv: -kv[1])[:5]
            },
            "stages_s": {k: round(v, 4) for k, v in self.stages.items()},
        }
