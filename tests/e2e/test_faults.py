"""Faults against a real worker, real beat, real Redis and real PostgreSQL (issue 7's table).

Each test provokes one fault and then asserts that nothing stays queued or
running past the dispatcher's and reaper's periods (set to a second or so for
these processes) and that the run ends once, with exactly one set of results:

- Redis without persistence restarted while a run is queued (the message is lost);
- a run asked for while Redis is down (enqueueing fails after commit);
- PostgreSQL cut away during the check phase (a proxy the test controls);
- the pool process SIGKILLed during the fetch (its ``git fetch`` must die too);
- many commits through one mirror (the facts file stays bounded).

Redis and PostgreSQL are never the shared servers themselves: a private
``redis-server`` and a TCP proxy in front of the test database are.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.db import connection, transaction

from gates.checks.base import repository_checks
from gates.checks.facts import FactStore
from gates.models import CHECK_RUN_FINAL_STATES, CheckResult, CheckRun, CheckRunStatus
from gates.runs import check_run_request
from projects.actors import system_actor
from projects.services import project_update
from tests.brokers import broker_at
from tests.gitrepo import commit, make_repo
from tests.gitserver import GitDaemon, allow_loopback
from tests.org import admin_actor, build_org

from .services import PrivateRedis, TcpProxy
from .worker import (
    broker_url_or_skip,
    celery_beat,
    celery_worker,
    database_address,
    wait_for,
    worker_database_url,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

# Short periods so a lost message or a dead worker is noticed within seconds.
FAST = {
    "MLTRL_OUTBOX_PERIOD_S": "1",
    "MLTRL_RUN_RESEND_AFTER_S": "3",
    "MLTRL_RUN_REAP_PERIOD_S": "1",
    "MLTRL_RUN_HEARTBEAT_S": "1",
    "MLTRL_RUN_HEARTBEAT_TIMEOUT_S": "10",
}
# Generous: these processes share two cores with everything else on a CI machine.
END = 240

README = "# Vision\n\n## Purpose\n\nFind defects in product photos before shipping.\n"


@pytest.fixture
def repo_root(tmp_path, settings):
    broker_url_or_skip()  # skips (or fails under MLTRL_REQUIRE_SERVICES) before any setup
    root = tmp_path / "repos"
    root.mkdir()
    allow_loopback(settings, mirrors=tmp_path / "mirrors")
    return root


@pytest.fixture
def daemon(repo_root):
    with GitDaemon(repo_root) as server:
        yield server


def _project(url: str):
    return project_update(actor=admin_actor(), project=build_org().project, repository_url=url)


def _ended(run_pk: int) -> CheckRun | None:
    return CheckRun.objects.filter(pk=run_pk, status__in=CHECK_RUN_FINAL_STATES).first()


def _assert_ended_once(run: CheckRun) -> None:
    assert run.status == CheckRunStatus.SUCCEEDED, (run.status, run.error_kind, run.message)
    keys = sorted(c.key for c in repository_checks())
    results = CheckResult.objects.filter(run=run)
    assert sorted(results.values_list("check_key", flat=True)) == keys
    live = CheckRun.objects.filter(project=run.project).exclude(status="cancelled")
    assert list(live.values_list("pk", flat=True)) == [run.pk]


def test_redis_restarted_without_persistence_while_a_run_is_queued(repo_root, daemon, tmp_path):
    repo = make_repo(repo_root, {"README.md": README})
    project = _project(daemon.url(repo.name))
    with PrivateRedis(tmp_path / "redis") as redis, broker_at(redis.url):
        run = check_run_request(actor=system_actor("worker"), project=project, trigger="manual")
        assert redis.queue_length("checks") == 1
        redis.stop()  # no persistence: the queued message is gone
        redis.start()
        assert redis.queue_length("checks") == 0
        with (
            celery_worker(FAST, broker_url=redis.url, log_path=tmp_path / "worker.log"),
            celery_beat(FAST, broker_url=redis.url, log_path=tmp_path / "beat.log"),
        ):
            run = wait_for(lambda: _ended(run.pk), timeout=END, what="the lost run to end")
    _assert_ended_once(run)


def test_run_asked_while_redis_is_down(repo_root, daemon, tmp_path):
    repo = make_repo(repo_root, {"README.md": README})
    project = _project(daemon.url(repo.name))
    beat_log = tmp_path / "beat.log"
    with (
        PrivateRedis(tmp_path / "redis") as redis,
        celery_worker(FAST, broker_url=redis.url, log_path=tmp_path / "worker.log") as worker,
        celery_beat(FAST, broker_url=redis.url, log_path=beat_log) as beat,
    ):
        redis.stop()
        with broker_at(redis.url):
            run = check_run_request(
                actor=system_actor("worker"), project=project, trigger="manual"
            )  # must not raise
        assert CheckRun.objects.get(pk=run.pk).status == "queued"
        # Beat keeps going with the broker down: it logs each failed try and waits.
        wait_for(
            lambda: b"beat: Connection error" in beat_log.read_bytes(),
            timeout=END,
            what="beat to try to send while Redis is down",
        )
        assert beat.poll() is None and worker.poll() is None
        redis.start()
        run = wait_for(lambda: _ended(run.pk), timeout=END, what="the run to end")
        assert beat.poll() is None
    _assert_ended_once(run)


def _flush_waits_on_lock() -> bool:
    with connection.cursor() as cursor:
        # Statistics views are a snapshot per transaction: ask for a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND query LIKE %s",
            ["%progress_done%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.parametrize("refuse", [True, False], ids=["down", "connections-dropped"])
def test_postgres_cut_during_the_check_phase(repo_root, daemon, tmp_path, refuse):
    files = {f"pkg/module_{n}.py": f"VALUE = {n}\n" for n in range(500)}
    repo = make_repo(repo_root, {"README.md": README, **files})
    head = commit(repo, {"NOTES.md": "notes\n"}, "notes")
    project = _project(daemon.url(repo.name))
    env = {**FAST, "MLTRL_RUN_FLUSH_S": "0"}  # every result is written as it comes
    with TcpProxy(database_address()) as proxy:
        db = worker_database_url(port=proxy.port)
        with (
            celery_worker(env, database_url=db, log_path=tmp_path / "worker.log"),
            celery_beat(env, database_url=db, log_path=tmp_path / "beat.log"),
        ):
            run = check_run_request(
                actor=system_actor("worker"), project=project, trigger="manual", commit_sha=head
            )
            wait_for(
                lambda: CheckRun.objects.filter(pk=run.pk, status="running").exists(),
                timeout=END,
                interval=0.01,
                what="the run to be claimed",
            )
            # Hold the run row so the worker's first result write waits in the check
            # phase; cut the database away exactly then.
            with transaction.atomic():
                CheckRun.objects.select_for_update().get(pk=run.pk)
                wait_for(_flush_waits_on_lock, timeout=END, what="a result write to wait")
                proxy.cut(refuse=refuse)
            if refuse:
                wait_for(lambda: proxy.refused >= 1, timeout=END, what="a refused reconnect")
                proxy.restore()
            run = wait_for(lambda: _ended(run.pk), timeout=END, what="the run to end")
    _assert_ended_once(run)
    assert run.attempts >= 2  # it was tried again, not failed as "internal"


def _processes_using(path: Path) -> list[int]:
    """Live processes whose command line names ``path``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if str(path).encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def test_pool_process_killed_during_the_fetch(repo_root, daemon, tmp_path, settings):
    blobs = {f"data/blob_{n}.bin": os.urandom(200_000).hex() for n in range(10)}  # 4 MB
    repo = make_repo(repo_root, {"README.md": README, **blobs})
    with TcpProxy(("127.0.0.1", daemon.port)) as proxy:
        proxy.rate = 200_000  # bytes/s: the fetch takes ~20 s unless it is killed
        project = _project(f"git://127.0.0.1:{proxy.port}/{repo.name}")
        mirror = Path(settings.MLTRL_GIT_MIRROR_DIR) / f"project-{project.pk}.git"
        with celery_worker(FAST, log_path=tmp_path / "worker.log") as worker:
            run = check_run_request(actor=system_actor("worker"), project=project, trigger="manual")
            running = wait_for(
                lambda: (
                    CheckRun.objects.filter(pk=run.pk, status="running")
                    .exclude(claimed_by="")
                    .first()
                ),
                timeout=END,
                interval=0.01,
                what="the run to be claimed",
            )
            pool = int(running.claimed_by.rpartition(":")[2])
            assert pool != worker.pid
            gits = wait_for(
                lambda: (mirror / "shallow.lock").exists() and _processes_using(mirror),
                timeout=END,
                what="git fetch to be writing the mirror",
            )
            os.kill(pool, signal.SIGKILL)
            wait_for(
                lambda: not set(gits) & set(_processes_using(mirror)),
                timeout=END,
                what="the killed pool's git to die",
            )
            # It died with its parent, in the middle: had it lived on, it would have
            # finished the (throttled) fetch and written the branch.
            assert not (mirror / "refs" / "heads" / "main").exists()
            proxy.rate = None
            run = wait_for(lambda: _ended(run.pk), timeout=END, what="the redelivered run")
            assert worker.poll() is None
    _assert_ended_once(run)
    assert run.attempts == 2


def test_facts_file_stays_bounded_across_many_commits(repo_root, daemon, tmp_path, settings):
    def module(n: int, round_: int) -> str:
        return f"def f{n}():\n    return {n}  # round {round_}\n"

    repo = make_repo(repo_root, {"README.md": README})
    project = _project(daemon.url(repo.name))
    facts_path = Path(settings.MLTRL_GIT_MIRROR_DIR) / f"project-{project.pk}.facts.json"
    cap = 110_000  # about the facts of 550 files: the later rounds need more
    sizes, kept = [], []
    with celery_worker(
        {**FAST, "MLTRL_FACTS_MAX_BYTES": str(cap)}, log_path=tmp_path / "worker.log"
    ):
        for round_ in range(6):  # every file changes, and 150 more each time
            count = 250 + 150 * round_
            changed = {f"src/module_{n}.py": module(n, round_) for n in range(count)}
            head = commit(repo, changed, f"round {round_}")
            run = check_run_request(
                actor=system_actor("worker"), project=project, trigger="manual", commit_sha=head
            )
            run = wait_for(lambda run=run: _ended(run.pk), timeout=END, what="the run to end")
            assert run.status == "succeeded", run.message
            journal = facts_path.with_name(facts_path.name + ".journal")
            on_disk = facts_path.stat().st_size
            sizes.append(on_disk + (journal.stat().st_size if journal.exists() else 0))
            assert sizes[-1] <= cap, sizes
            stored = FactStore.load(facts_path)._data
            reachable = _blob_keys(repo, head)
            for extractor, entries in stored.items():
                assert set(entries) <= reachable, extractor  # older commits' blobs dropped
            kept.append(sum(len(entries) for entries in stored.values()))
    assert kept[0] > 0 and kept[2] > kept[0], kept  # under the cap, facts are kept


def _blob_keys(repo: Path, sha: str) -> set[str]:
    import subprocess

    out = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "-z", sha],
        capture_output=True,
        check=True,
    ).stdout
    keys = set()
    for record in out.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            keys.add(f"{meta.split()[2].decode()}:{path.decode()}")
    return keys
