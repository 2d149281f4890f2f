"""git processes never outlive the worker, and a killed fetch never blocks the next.

- a git child dies when its parent is SIGKILLed (``PR_SET_PDEATHSIG``), and
  while it lives it holds the mirror's lock (the descriptor is inherited);
- the soft time limit (an exception while waiting) and worker shutdown
  (``kill_live_groups``) kill the git process group;
- git lock files left in a mirror by a dead git are removed before a fetch;
  a fetch that finds the mirror's lock held waits instead of failing;
- started through ``setpriv``, a network git whose parent is already gone
  (the worker died before the signal was armed) exits before git runs.

The stalled server accepts connections and never answers, so git waits on it
for as long as the test needs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from gates import gitcli
from gates.git import Mirror
from gates.gitcli import GitError, git_popen, kill_live_groups, run_git
from gates.mirror_lock import mirror_locked
from tests.e2e.worker import wait_for
from tests.gitrepo import commit, make_repo
from tests.gitserver import allow_loopback
from tests.hostile_servers import StallServer

README = "# Vision\n\n## Purpose\n\nCount birds in drone footage of wetlands.\n"
REPO_ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _open_files(pid: int) -> set[str]:
    folder = Path(f"/proc/{pid}/fd")
    paths = set()
    for fd in folder.iterdir():
        try:
            paths.add(os.readlink(fd))
        except OSError:
            continue
    return paths


@pytest.fixture
def mirrors(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    return tmp_path / "mirrors"


FETCH_IN_CHILD = """
import os, sys, django
django.setup()
from gates.git import Mirror
print("fetching", flush=True)
Mirror("stalled", sys.argv[1]).fetch("main")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_git_dies_with_its_sigkilled_parent_and_held_the_mirror_lock(mirrors, tmp_path):
    with StallServer() as stall:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "mltrl_site.settings",
            "MLTRL_GIT_MIRROR_DIR": str(mirrors),
            "MLTRL_GIT_ALLOWED_HOSTS": "127.0.0.1",
            "MLTRL_GIT_ALLOWED_SCHEMES": "git",
            "MLTRL_GIT_TIMEOUT_S": "600",
        }
        parent = subprocess.Popen(
            [sys.executable, "-c", FETCH_IN_CHILD, stall.url("repo.git", scheme="git")],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
        )
        try:
            wait_for(lambda: stall.accepted, timeout=120, what="git to connect")
            gits = wait_for(lambda: _children(parent.pid), timeout=30, what="the git child")
            git = gits[0]
            assert str(mirrors / "stalled.lock") in _open_files(git)  # inherited lock
            parent.kill()
            parent.wait()
            wait_for(lambda: not _alive(git), timeout=30, what="git to die with its parent")
        finally:
            if parent.poll() is None:
                parent.kill()
                parent.wait()
    with mirror_locked(mirrors / "stalled.git", wait_s=5):
        pass  # nothing holds the lock any more


def test_soft_time_limit_while_git_runs_kills_its_group(mirrors, tmp_path):
    home = str(tmp_path)
    with StallServer() as stall:

        def soft_limit(signum, frame):
            if not stall.accepted:  # git has not connected yet: look again shortly
                signal.setitimer(signal.ITIMER_REAL, 0.2)
                return
            raise SoftTimeLimitExceeded()

        previous = signal.signal(signal.SIGALRM, soft_limit)
        before = set(_children(os.getpid()))
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        try:
            with pytest.raises(SoftTimeLimitExceeded):
                run_git(
                    ["ls-remote", stall.url("repo.git", scheme="git")],
                    git_dir=None,
                    home=home,
                    timeout_s=600,
                )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        assert set(_children(os.getpid())) - before == set()


def test_worker_shutdown_kills_the_git_groups_it_started(mirrors, tmp_path):
    with StallServer() as stall:
        process = git_popen(
            ["git", "ls-remote", stall.url("repo.git", scheme="git")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        wait_for(lambda: stall.accepted, timeout=60, what="git to connect")
        assert process.poll() is None
        assert kill_live_groups() >= 1
        assert process.wait(timeout=30) == -signal.SIGKILL


def test_stale_git_locks_in_the_mirror_are_removed_before_a_fetch(mirrors, tmp_path):
    repo = make_repo(tmp_path / "repos", {"README.md": README})
    mirror = Mirror("stale", f"file://{repo}")
    mirror.fetch("main")
    # What a git fetch SIGKILLed in the middle leaves behind.
    (mirror.path / "shallow.lock").write_text("")
    (mirror.path / "config.lock").write_text("")
    (mirror.path / "refs" / "heads" / "main.lock").write_text("")
    new_head = commit(repo, {"NOTES.md": "more\n"}, "notes")
    assert mirror.fetch("main") == new_head
    assert sorted(p.name for p in mirror.path.rglob("*.lock")) == []


def test_a_fetch_waits_for_the_mirror_lock_instead_of_failing(mirrors, tmp_path):
    repo = make_repo(tmp_path / "repos", {"README.md": README})
    mirror = Mirror("busy", f"file://{repo}")
    mirror.fetch("main")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); "
            "open(sys.argv[2], 'w').close(); print('held', flush=True); sys.stdin.read()",
            str(mirror.path.with_suffix(".lock")),
            str(mirror.path / "shallow.lock"),  # the live fetch's own lock file
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(GitError) as busy, mirror_locked(mirror.path, wait_s=0.3):
            pass
        assert (busy.value.kind, busy.value.transient) == ("mirror_busy", True)
        assert (mirror.path / "shallow.lock").exists()  # a live holder's lock is kept
        new_head = commit(repo, {"NOTES.md": "more\n"}, "notes")
        fetched: list[str] = []
        waiting = threading.Thread(target=lambda: fetched.append(mirror.fetch("main")))
        waiting.start()
        holder.stdin.close()  # the live fetch ends (leaving its lock file behind)
        holder.wait(timeout=60)
        waiting.join(timeout=120)
        assert fetched == [new_head]
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_parent_guard_ends_a_network_git_whose_parent_is_already_gone():
    setpriv = gitcli._setpriv()
    if setpriv is None:
        pytest.skip("no setpriv here: git starts with the preexec_fn hook instead")
    shape = [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", gitcli._PARENT_GUARD]
    ours = subprocess.run([*shape, str(os.getpid()), "git", "--version"], capture_output=True)
    assert ours.returncode == 0 and ours.stdout.startswith(b"git version")
    # Started for a parent that is not ours (as if the worker died before the signal
    # was armed): the guard exits before git runs.
    orphan = subprocess.run([*shape, "1", "git", "--version"], capture_output=True)
    assert orphan.returncode == 125 and orphan.stdout == b""


def test_a_started_worker_process_freezes_what_it_loaded():
    """Objects alive at worker start are moved out of the collector's sight."""
    import gc

    from celery.signals import worker_process_init

    import gates.tasks  # noqa: F401  (connects the receiver, as the worker's import does)

    gc.unfreeze()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > 10_000  # Django, the apps, the catalog
    finally:
        gc.unfreeze()
