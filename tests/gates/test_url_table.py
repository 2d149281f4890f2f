"""Repository URLs refused by the git layer itself, before any network access.

``gates.git.Mirror`` validates the URL when it is built (scheme, shape,
credentials, file root) and validates the host again when it fetches (a host
allowed when the URL was saved may resolve elsewhere, or be un-listed, by
then). A spy on ``gates.git.run_git`` proves no ``git fetch`` ever started.
Runs queued through ``gates.runs`` for a stored URL that is no longer valid
end failed without touching the network.
"""

from __future__ import annotations

import os
import socket

import pytest

import gates.git
from gates.engine import check_run_execute
from gates.git import GitError, Mirror
from gates.runs import check_run_request
from projects.actors import system_actor
from projects.models import Project
from projects.services import project_update
from tests.gitrepo import make_repo
from tests.gitserver import GitHttpServer, allow_loopback
from tests.org import admin_actor

INTERNAL = "internal addresses are refused"
CREDENTIALS = "Credentials do not belong in the repository URL"


@pytest.fixture
def strict(settings, tmp_path):
    """Production defaults: https/ssh/git, no allow-listed host, no file root."""
    settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https", "ssh", "git"]
    settings.MLTRL_GIT_ALLOWED_HOSTS = []
    settings.MLTRL_GIT_FILE_ROOT = None
    settings.MLTRL_GIT_MIRROR_DIR = str(tmp_path / "mirrors")
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    return settings


@pytest.fixture
def git_calls(monkeypatch) -> list[list[str]]:
    """Every git command the git layer runs (they still run)."""
    calls: list[list[str]] = []
    real = gates.git.run_git

    def record(args, **kwargs):
        calls.append(list(args))
        return real(args, **kwargs)

    monkeypatch.setattr(gates.git, "run_git", record)
    return calls


@pytest.fixture
def resolver(monkeypatch) -> dict[str, str]:
    """Fake DNS for names in the returned dict; every other name resolves for real."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr("projects.repo_urls.socket.getaddrinfo", getaddrinfo)
    return names


def fetch_commands(calls: list[list[str]]) -> list[list[str]]:
    return [c for c in calls if "fetch" in c]


REFUSED_WHEN_BUILT = [
    ("file:///srv/repos/model.git", "file:// repository URLs are not allowed on this server"),
    ("file:///etc/passwd", "file:// repository URLs are not allowed on this server"),
    ("/srv/repos/model.git", "bare paths and scp-like host:path forms are not accepted"),
    ("../model.git", "bare paths and scp-like"),
    ("git@github.com:org/model.git", "bare paths and scp-like"),
    ("ext::sh -c touch% /tmp/pwned", "contains spaces or control characters"),
    ("ext::sh%20-c%20id", "Transport helpers such as 'ext::' are not allowed"),
    ("fd::17/model.git", "Transport helpers"),
    ("http://github.com/org/model.git", "The scheme 'http' is not allowed; use one of: https"),
    ("ftp://github.com/org/model.git", "The scheme 'ftp' is not allowed"),
    (
        "https://ada:secret@github.com/org/model.git",
        CREDENTIALS,
    ),
    (
        "https://ghp_token@github.com/org/model.git",
        CREDENTIALS,
    ),
    ("git://ada@github.com/org/model.git", CREDENTIALS),
    ("--upload-pack=/tmp/pwned", "may not start with '-'"),
    ("https://github.com/", "names no repository path"),
    ("https://github.com:99999/org/model.git", "invalid port"),
    ("https://github.com/org/model.git\n", None),  # trailing newline is stripped: accepted
]


@pytest.mark.parametrize(("url", "words"), REFUSED_WHEN_BUILT)
def test_mirror_refuses_bad_urls_before_running_git(strict, git_calls, url, words):
    if words is None:
        assert Mirror("m", url).url == url.strip()
        assert git_calls == []
        return
    with pytest.raises(GitError) as caught:
        Mirror("m", url)
    assert caught.value.kind == "url_refused"
    assert words in caught.value.message
    assert git_calls == []


def test_file_urls_only_inside_the_file_root(strict, git_calls, tmp_path):
    root = tmp_path / "repos"
    repo = make_repo(root, {"README.md": "hello\n"}, name="inside.git")
    strict.MLTRL_GIT_FILE_ROOT = str(root)
    for url in ("file:///etc/passwd", f"file://{root}/../x.git", "file://host/srv/x.git"):
        with pytest.raises(GitError, match=r"must point inside|may not name a host"):
            Mirror("m", url)
    assert git_calls == []
    mirror = Mirror("m", f"file://{repo}")
    assert len(mirror.fetch("main")) == 40


REFUSED_WHEN_FETCHING = [
    ("https://127.0.0.1/org/model.git", "a loopback address (127.0.0.1)"),
    ("https://localhost/org/model.git", "a loopback address"),
    ("https://[::1]/org/model.git", "a loopback address (::1)"),
    ("https://[::ffff:127.0.0.1]/org/model.git", "a loopback address"),
    ("https://10.1.2.3/org/model.git", "a private address (10.1.2.3)"),
    ("git://192.168.7.7/org/model.git", "a private address (192.168.7.7)"),
    ("ssh://git@172.16.0.9/org/model.git", "a private address (172.16.0.9)"),
    ("https://169.254.169.254/latest/meta-data.git", "a link-local address (169.254.169.254)"),
    ("https://[fe80::1]/org/model.git", "a link-local address"),
    ("https://0.0.0.0/org/model.git", INTERNAL),
    ("https://intranet.example/org/model.git", "a private address (10.20.30.40)"),
    ("https://metadata.example/org/model.git", "a link-local address (169.254.169.254)"),
    ("https://rebound.example/org/model.git", "a loopback address (::1)"),
    ("https://100.64.0.1/org/model.git", "a carrier-grade NAT address (100.64.0.1)"),
    ("https://192.0.0.8/org/model.git", "an IETF protocol-assignment address"),
    ("https://[2002:7f00:1::]/org/model.git", "loopback address (127.0.0.1 inside 2002:7f00:1::)"),
    ("https://[64:ff9b::7f00:1]/org/model.git", "a loopback address (127.0.0.1 inside"),
    ("https://[64:ff9b:1::a00:1]/org/model.git", "a local-use NAT64 address"),
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/org/model.git", "(127.0.0.1 inside"),
    ("https://[::ffff:100.100.100.200]/org/model.git", "carrier-grade NAT"),
    ("https://cgnat.example/org/model.git", "carrier-grade NAT address (100.100.100.200)"),
    ("https://sixtofour.example/org/model.git", "(127.0.0.1 inside 2002:7f00:1::)"),
]


@pytest.mark.parametrize(("url", "words"), REFUSED_WHEN_FETCHING)
def test_internal_hosts_are_refused_before_any_fetch(strict, git_calls, resolver, url, words):
    resolver.update(
        {
            "intranet.example": "10.20.30.40",
            "metadata.example": "169.254.169.254",
            "rebound.example": "::1",
            "cgnat.example": "100.100.100.200",
            "sixtofour.example": "2002:7f00:1::",
        }
    )
    mirror = Mirror("m", url)  # shape is fine; the host is checked when fetching
    with pytest.raises(GitError) as caught:
        mirror.fetch("main")
    assert caught.value.kind == "url_refused"
    assert words in caught.value.message
    assert INTERNAL in caught.value.message
    assert fetch_commands(git_calls) == []


def test_host_allowed_when_saved_but_not_when_fetching_is_refused(strict, git_calls, tmp_path):
    root = tmp_path / "served"
    make_repo(root, {"README.md": "hello\n"}, name="model.git")
    allow_loopback(strict, mirrors=tmp_path / "mirrors")
    with GitHttpServer(root) as http:
        mirror = Mirror("m", http.url("model.git"))
        assert len(mirror.fetch("main")) == 40  # allowed: fetched
        seen = len(http.requests)
        strict.MLTRL_GIT_ALLOWED_HOSTS = []  # an administrator removed the allowance
        with pytest.raises(GitError, match="loopback address"):
            mirror.fetch("main")
        assert len(http.requests) == seen
    assert len(fetch_commands(git_calls)) == 1


def test_fetch_connects_to_the_address_it_validated(strict, resolver, tmp_path):
    root = tmp_path / "served"
    make_repo(root, {"README.md": "hello\n"}, name="model.git")
    allow_loopback(strict, mirrors=tmp_path / "mirrors")
    strict.MLTRL_GIT_ALLOWED_HOSTS = ["models.example"]
    resolver["models.example"] = "127.0.0.1"  # only our resolver knows this name
    with GitHttpServer(root) as http:
        mirror = Mirror("m", f"http://models.example:{http.port}/model.git")
        assert len(mirror.fetch("main")) == 40  # git connected to the pinned address
        assert http.requests


def test_ssh_connects_to_the_address_it_validated(strict, resolver, tmp_path, monkeypatch):
    """git runs our ssh with the checked address as ``HostName`` and the name as
    ``HostKeyAlias``: ssh never resolves the name again, and checks the host key
    recorded for the name. A stand-in ``ssh`` on the PATH records what it was given."""
    bin_dir, seen = tmp_path / "bin", tmp_path / "ssh-args"
    bin_dir.mkdir()
    fake = bin_dir / "ssh"
    fake.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}\n'
        'echo "ssh: connect to host models.example port 22: Connection refused" >&2\nexit 255\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    strict.MLTRL_GIT_ALLOWED_HOSTS = ["models.example"]
    resolver["models.example"] = "127.0.0.1"  # only our resolver knows this name
    with pytest.raises(GitError) as caught:
        Mirror("m", "ssh://git@models.example/org/model.git").fetch("main")
    assert caught.value.kind == "network"
    args = seen.read_text().splitlines()
    options = [args[i + 1] for i, arg in enumerate(args) if arg == "-o"]
    assert options[:2] == ["BatchMode=yes", "StrictHostKeyChecking=yes"]
    assert "HostName=127.0.0.1" in options and "HostKeyAlias=models.example" in options
    assert "git@models.example" in args  # git still names the host; ssh connects to HostName


def test_dns_rebinding_after_saving_is_refused_at_fetch(strict, git_calls, resolver, org):
    resolver["models.example"] = "93.184.216.34"
    url = "https://models.example/org/model.git"
    project = project_update(
        project=org.project, repository_url=url, actor=admin_actor()
    )  # validated, resolved
    assert project.repository_url == url
    resolver["models.example"] = "127.0.0.1"  # the name now points inside
    with pytest.raises(GitError, match=r"loopback address \(127\.0\.0\.1\)"):
        Mirror("m", url).fetch("main")
    assert fetch_commands(git_calls) == []


STORED_BUT_INVALID = [
    ("ext::sh -c touch% /tmp/pwned", "spaces or control characters"),
    ("file:///etc", "file:// repository URLs are not allowed"),
    ("http://github.com/org/model.git", "The scheme 'http' is not allowed"),
    ("https://127.0.0.1/org/model.git", INTERNAL),
]


def _queue_for_stored_url(org, url: str):
    """A project row whose URL was valid under older settings (stored without checks)."""
    Project.objects.filter(pk=org.project.pk).update(repository_url=url)
    org.project.refresh_from_db()
    run = check_run_request(project=org.project, trigger="manual", actor=system_actor("worker"))
    assert run is not None
    check_run_execute(run.pk)
    run.refresh_from_db()
    return run


@pytest.mark.parametrize(("url", "words"), STORED_BUT_INVALID)
def test_run_for_a_stored_url_no_longer_valid_fails_without_fetching(
    strict, git_calls, org, url, words
):
    run = _queue_for_stored_url(org, url)
    assert run.status == "failed"
    assert not run.results.exists()
    assert fetch_commands(git_calls) == []


@pytest.mark.parametrize(("url", "words"), STORED_BUT_INVALID)
def test_run_for_a_stored_url_no_longer_valid_says_why(strict, org, url, words):
    run = _queue_for_stored_url(org, url)
    assert words in run.message
    assert run.error_kind not in ("", "internal")
