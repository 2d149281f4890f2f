"""The hostile corpus: repositories and servers built to escape, execute or hang.

Each case ends in a clear result (a snapshot, or a ``GitError`` with its kind),
and the ``box`` fixture checks after every test that nothing was written
outside the served repositories and the mirror cache, that no canary command
ran, and that no git process was left behind. Repositories are served over
file://, ``git daemon`` and ``git http-backend`` on loopback.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from gates.engine import check_run_execute
from gates.git import GitError, Mirror
from gates.models import CheckResult
from gates.runs import check_run_request
from projects.actors import system_actor
from projects.services import project_update
from tests.gates.git_hostile import (
    README,
    Box,
    FileTransport,
    add_entries,
    fetch,
    hooks_dir,
    pack_bytes,
    results_text,
    run_engine,
)
from tests.gitrepo import commit, git, make_repo
from tests.gitserver import GitDaemon, GitHttpServer, allow_loopback
from tests.hostile_servers import RedirectServer, StallServer, child_pids
from tests.org import admin_actor


@pytest.fixture
def box(settings, tmp_path):
    for name in ("served", "mirrors", "outside"):
        (tmp_path / name).mkdir()
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "served")
    # Generous for a loaded machine; the stalling-server test sets its own short one.
    settings.MLTRL_GIT_TIMEOUT_S = 60
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    children_before = child_pids()
    box = Box(tmp_path / "served", tmp_path / "mirrors", tmp_path / "outside", tmp_path / "canary")
    yield box
    assert not box.canary.exists(), "a command from the repository or environment ran"
    assert {p.name for p in box.outside.iterdir()} == box.planted
    assert {p.name for p in tmp_path.iterdir()} == {"served", "mirrors", "outside"}
    assert child_pids() <= children_before, "a git process was left running"


@pytest.fixture(params=["file", "git", "http"])
def serve(request, box):
    """``box.root`` served over one transport; ``serve.url(name)`` is a repository's URL."""
    if request.param == "file":
        yield FileTransport(box.root)
        return
    server = GitDaemon(box.root) if request.param == "git" else GitHttpServer(box.root)
    with server:
        yield server


def test_fetch_reads_the_tree_over_every_transport(box, serve):
    repo = box.repo({"README.md": README, "src/model.py": "x = 1\n"}, name="plain.git")
    head = git(repo, "rev-parse", "HEAD").strip()
    mirror, snap = fetch(serve.url("plain.git"))
    assert snap.sha == head
    assert set(snap.entries()) == {"README.md", "src/model.py"}
    assert snap.read_text("README.md") == README
    assert not list(box.mirrors.rglob("README.md"))  # bare mirror: nothing checked out
    second = commit(repo, {"src/model.py": "x = 2\n"}, "two")
    assert mirror.fetch("main") == second  # incremental fetch into the same mirror
    if isinstance(serve, GitHttpServer):
        assert "version=2" in serve.protocols  # smart HTTP, protocol v2


@pytest.mark.django_db
def test_symlinks_are_reported_never_followed(box, serve, org):
    secret = box.plant("secret.txt", "TOP-SECRET-VALUE\n")
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]
    escape = os.path.relpath(secret, box.root / "links.git" / "docs")
    symlinks = {"passwd": "/etc/passwd", "docs/escape.md": escape}
    repo = box.repo({"README.md": README}, symlinks, name="links.git")
    _, snap = fetch(serve.url(repo.name))
    for path in ("passwd", "docs/escape.md"):
        assert snap.entries()[path].is_symlink
        assert snap.read_text(path) is None
        assert snap.read_bytes(path) is None
    assert list(snap.iter_texts(["passwd", "docs/escape.md"])) == []
    run = run_engine(org.project, serve.url(repo.name))
    assert run.status == "succeeded"
    text = results_text(run)
    assert passwd_line not in text
    assert "TOP-SECRET-VALUE" not in text


def test_hooks_in_the_served_repository_never_run(box, serve):
    hook = f"#!/bin/sh\ntouch {box.canary}\n"
    repo = box.repo({"README.md": README}, name="hooks.git")
    add_entries(repo, {b".githooks/post-checkout": ("100755", hook.encode())})
    hooks_dir(repo).mkdir(exist_ok=True)
    for name in ("post-checkout", "post-merge", "reference-transaction", "pre-upload-pack"):
        (hooks_dir(repo) / name).write_text(hook)
        (hooks_dir(repo) / name).chmod(0o755)
    git(repo, "config", "core.hooksPath", ".githooks")
    # Over file:// upload-pack runs on our side, in the served repository's config.
    git(repo, "config", "uploadpack.packObjectsHook", f"touch {box.canary}")
    git(repo, "config", "core.fsmonitor", f"touch {box.canary}")
    mirror, snap = fetch(serve.url(repo.name))
    assert snap.entries()[".githooks/post-checkout"].mode == "100755"
    assert mirror.fetch("main") == snap.sha
    assert not box.canary.exists()


def test_submodules_are_listed_never_fetched(box, serve):
    with GitHttpServer(box.root) as recorder:
        sub = box.repo({"inner.txt": "submodule content\n"}, name="sub.git")
        sub_sha = git(sub, "rev-parse", "HEAD").strip()
        modules = (
            '[submodule "vendor/sub"]\n\tpath = vendor/sub\n'
            f"\turl = file://{sub}\n"
            '[submodule "evil"]\n\tpath = "evil\r"\n'
            f"\turl = {recorder.url('sub.git')}\n"
        )
        repo = box.repo({"README.md": README, ".gitmodules": modules}, name="mods.git")
        add_entries(repo, {b"vendor/sub": ("160000", sub_sha), b"evil\r": ("160000", sub_sha)})
        mirror, snap = fetch(serve.url(repo.name))
        entries = snap.entries()
        assert entries["vendor/sub"].is_submodule and entries["evil\r"].is_submodule
        assert snap.read_text("vendor/sub") is None
        assert not mirror.has_commit(sub_sha)
        assert recorder.requests == []
    assert not (mirror.path / "modules").exists()


@pytest.mark.django_db
def test_option_like_branch_is_refused_everywhere(box, org):
    repo = box.repo({"README.md": README}, name="b.git")
    url = f"file://{repo}"
    bad = f"--upload-pack=touch {box.canary}"
    with pytest.raises(ValidationError, match="not a valid branch name"):
        project_update(project=org.project, default_branch=bad, actor=admin_actor())
    for branch in (bad, "-b", "main..x", "main:refs/heads/x", "a b", "x\nmain"):
        with pytest.raises(GitError) as caught:
            Mirror("m", url).fetch(branch)
        assert caught.value.kind == "bad_ref"
    project_update(project=org.project, repository_url=url, actor=admin_actor())
    type(org.project).objects.filter(pk=org.project.pk).update(default_branch=bad)
    org.project.refresh_from_db()
    run = check_run_request(project=org.project, trigger="manual", actor=system_actor("worker"))
    check_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.error_kind) == ("failed", "bad_ref")
    assert "not a valid branch name" in run.message


@pytest.mark.django_db
def test_blob_over_the_cap_is_never_downloaded(box, serve, org, settings):
    settings.MLTRL_GIT_MAX_BLOB_BYTES = 100_000
    weights = os.urandom(1_000_000)  # incompressible
    repo = box.repo({"README.md": README, "model/weights.bin": weights}, name="big.git")
    mirror, snap = fetch(serve.url(repo.name))
    assert snap.entries()["model/weights.bin"].size is None
    assert snap.entries()["README.md"].size == len(README)
    assert snap.read_bytes("model/weights.bin") is None
    assert pack_bytes(mirror) < len(weights)
    run = run_engine(org.project, serve.url(repo.name))
    assert run.status == "succeeded"
    assert pack_bytes(Mirror(f"project-{org.project.pk}", serve.url(repo.name))) < len(weights)
    result = CheckResult.objects.filter(run=run, check_key="no_oversized_files").first()
    # A rename or removal of the check must fail here, never silently skip.
    assert result is not None, "the run has no no_oversized_files result"
    assert result.outcome == "fail"
    assert "model/weights.bin" in results_text(run)


def test_missing_blob_is_never_fetched_behind_our_back(box, settings):
    settings.MLTRL_GIT_MAX_BLOB_BYTES = 100_000
    box.repo({"README.md": README, "weights.bin": os.urandom(300_000)}, name="lazy.git")
    with GitHttpServer(box.root) as http:
        mirror, snap = fetch(http.url("lazy.git"))
        seen = len(http.requests)
        blob = snap.entries()["weights.bin"].sha
        for args in (["cat-file", "-p", blob], ["cat-file", "-s", blob], ["archive", snap.sha]):
            with pytest.raises(GitError):
                mirror._git(args)
        assert len(http.requests) == seen  # the promisor is gone: no lazy fetch


@pytest.mark.django_db
def test_more_files_than_the_cap_fail_the_run(box, org, settings):
    settings.MLTRL_GIT_MAX_FILES = 5
    repo = box.repo({f"data/{n}.txt": f"{n}\n" for n in range(8)}, name="many.git")
    _, snap = fetch(f"file://{repo}")
    with pytest.raises(GitError) as caught:
        snap.entries()
    assert caught.value.kind == "too_many_files"
    run = run_engine(org.project, f"file://{repo}")
    assert (run.status, run.error_kind) == ("failed", "too_many_files")
    assert "more than 5 files" in run.message
    assert not run.results.exists()


@pytest.mark.django_db
def test_non_utf8_file_names_survive(box, serve, org):
    names = [b"caf\xe9.md", b"notes/\xff\xfe-raw.py", "données/ok.txt".encode()]
    repo = box.repo({"README.md": README, **{n: "content\n" for n in names}}, name="bytes.git")
    _, snap = fetch(serve.url(repo.name))
    by_bytes = {os.fsencode(p): p for p in snap.entries()}
    for name in names:
        assert name in by_bytes
        assert snap.read_text(by_bytes[name]) == "content\n"
    run = run_engine(org.project, serve.url(repo.name))
    assert run.status == "succeeded", run.message
    assert run.results.count() == run.progress_total


@pytest.mark.parametrize(
    ("scheme", "first_bytes"),
    [("http", b""), ("git", b""), ("http", b"HTTP/1.1 200 OK\r\nContent-Type: application/x-")],
)
def test_stalling_server_times_out(box, settings, scheme, first_bytes):
    settings.MLTRL_GIT_TIMEOUT_S = 2
    with StallServer(first_bytes=first_bytes) as stall:
        started = time.monotonic()
        with pytest.raises(GitError) as caught:
            fetch(stall.url("repo.git", scheme))
        elapsed = time.monotonic() - started
        assert stall.accepted >= 1
    assert (caught.value.kind, caught.value.transient) == ("timeout", True)
    # Stopped by our timer (2 s), not left hanging: a stalled git:// fetch would wait
    # forever. The bound is loose on purpose, for a loaded machine.
    assert elapsed < 60


def test_redirect_to_another_host_is_refused(box):
    box.repo({"README.md": README}, name="moved.git")
    with (
        GitHttpServer(box.root, host="127.0.0.2") as other,
        RedirectServer(other.base()) as redirect,
    ):
        with pytest.raises(GitError) as caught:
            fetch(redirect.url("moved.git"))
        assert redirect.requests
        assert other.requests == []
    assert caught.value.kind == "redirect_refused"


def test_transport_helpers_and_outside_files_are_refused_before_git(box, monkeypatch):
    outside_repo = make_repo(box.outside, {"README.md": README}, name="evil.git")
    box.planted.add("evil.git")
    (box.root / "link.git").symlink_to(outside_repo)
    ran = []
    monkeypatch.setattr("gates.git.run_git", lambda args, **kw: ran.append(args))
    for url in (
        f"ext::sh -c touch% {box.canary}",
        f"ext::sh%20-c%20touch%20{box.canary}",
        f"file://{outside_repo}",
        f"file://{box.root}/../outside/evil.git",
        f"file://{box.root}/link.git",
        "file:///etc",
    ):
        refused = "not allowed|must point inside|may not name|spaces or control"
        with pytest.raises(GitError, match=refused):
            Mirror("m", url).fetch("main")
    assert ran == []


def test_repository_needing_auth_fails_fast(box):
    box.repo({"README.md": README}, name="private.git")
    with GitHttpServer(box.root, auth=("ada", "secret")) as http:
        started = time.monotonic()
        with pytest.raises(GitError) as caught:
            fetch(http.url("private.git"))
        assert [r.split()[0] for r in http.requests] == ["GET"]
    assert (caught.value.kind, caught.value.transient) == ("auth_required", False)
    # No prompt waited for an answer (that would run into the git time-out); loose
    # bound for a loaded machine.
    assert time.monotonic() - started < 60


@pytest.mark.parametrize(
    "transport",
    [
        "http",
        "git",
    ],
)
def test_missing_repository_is_not_found(box, transport):
    server = GitHttpServer(box.root) if transport == "http" else GitDaemon(box.root)
    with server, pytest.raises(GitError) as caught:
        fetch(server.url("missing.git"))
    assert (caught.value.kind, caught.value.transient) == ("not_found", False)
    assert "not found" in caught.value.message


def test_mirror_over_the_size_cap_is_stopped_and_removed(box, settings):
    settings.MLTRL_GIT_MAX_MIRROR_BYTES = 300_000
    settings.MLTRL_GIT_TIMEOUT_S = 30
    files = {f"data/{n}.bin": os.urandom(50_000) for n in range(40)}
    box.repo(files, name="huge.git")
    with (
        GitHttpServer(box.root, throttle_bps=1_000_000) as http,
        pytest.raises(GitError) as caught,
    ):
        fetch(http.url("huge.git"))
    assert caught.value.kind == "too_large"
    assert "300,000 bytes" in caught.value.message
    assert not (box.mirrors / "m.git").exists()


def test_size_cap_holds_for_a_fetch_faster_than_the_watcher(box, settings):
    settings.MLTRL_GIT_MAX_MIRROR_BYTES = 100_000
    repo = box.repo({f"{n}.bin": os.urandom(60_000) for n in range(3)}, name="quick.git")
    kinds = []
    for attempt in range(5):
        try:
            fetch(f"file://{repo}", key=f"quick-{attempt}")
            kinds.append("ok")
        except GitError as exc:
            kinds.append(exc.kind)
    assert kinds == ["too_large"] * 5


def test_inherited_git_environment_has_no_effect(box, serve, monkeypatch):
    repo = box.repo({"README.md": README}, name="env.git")
    evil_config = box.plant("gitconfig", f"[core]\n\thooksPath = {box.outside}\n")
    box.plant("post-checkout", f"#!/bin/sh\ntouch {box.canary}\n")
    for name, value in {
        "GIT_DIR": str(box.outside / "gitdir"),
        "GIT_WORK_TREE": str(box.outside),
        "GIT_OBJECT_DIRECTORY": str(box.outside / "objects"),
        "GIT_SSH_COMMAND": f"touch {box.canary}",
        "GIT_SSH": str(box.outside / "post-checkout"),
        "GIT_PROXY_COMMAND": str(box.outside / "post-checkout"),
        "GIT_CONFIG_PARAMETERS": "'protocol.ext.allow'='always' 'core.hookspath'='/'",
        "GIT_CONFIG_GLOBAL": str(evil_config),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "uploadpack.packObjectsHook",
        "GIT_CONFIG_VALUE_0": f"touch {box.canary}",
        "GIT_TRACE": str(box.outside / "trace.log"),
        "GIT_TRACE_PACKET": str(box.outside / "packet.log"),
        "GIT_EXEC_PATH": str(box.outside),
    }.items():
        monkeypatch.setenv(name, value)
    _, snap = fetch(serve.url(repo.name))
    assert snap.read_text("README.md") == README
    ssh = Mirror("ssh", "ssh://git@127.0.0.1:1/env.git")
    with pytest.raises(GitError) as caught:  # our ssh ran, not the inherited command
        ssh.fetch("main")
    assert caught.value.kind == "network"
