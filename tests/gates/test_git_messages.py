"""Failure messages name what failed: the URL, the branch and the branches there,
the host, how a transfer broke, and after the last retry how long it was tried.

Real repositories served over file://, git daemon and git http-backend on
loopback; a proxy that cuts the connection part-way through the pack.
"""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError

from gates.git import Mirror
from gates.git_messages import classify, parse_ls_remote
from gates.gitcli import GitError
from projects.repo_urls import validate_repository_url
from tests.gitrepo import git, make_repo
from tests.gitserver import GitDaemon, GitHttpServer, allow_loopback
from tests.hostile_servers import CutProxy


@pytest.fixture
def root(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    settings.MLTRL_GIT_TIMEOUT_S = 20
    (tmp_path / "repos").mkdir()
    return tmp_path / "repos"


def fetch(url: str, branch: str = "main") -> str:
    return Mirror("m", url).fetch(branch)


@pytest.mark.parametrize("transport", ["file", "git", "http"])
def test_missing_repository_names_the_url(root, transport):
    url = {"file": f"file://{root}/missing.git"}.get(transport)
    server = GitDaemon(root) if transport == "git" else GitHttpServer(root)
    with server:
        url = url or server.url("missing.git")
        with pytest.raises(GitError) as caught:
            fetch(url)
    assert caught.value.kind == "not_found"
    assert caught.value.message == (
        f"The repository was not found at {url}. Check the project's repository URL "
        "(and that the repository is public)."
    )


def _repo_with_branches(root, names):
    repo = make_repo(root, {"README.md": "# x\n"}, branch="trunk", name="branches.git")
    for name in names:
        git(repo, "branch", name)
    return repo


@pytest.mark.parametrize("transport", ["file", "http"])
def test_wrong_branch_names_it_and_the_branches_there_default_first(root, transport):
    others = [f"feature-{n:02}" for n in range(12)]
    repo = _repo_with_branches(root, others)
    with GitHttpServer(root) as http:
        url = f"file://{repo}" if transport == "file" else http.url("branches.git")
        with pytest.raises(GitError) as caught:
            fetch(url, branch="main")
    shown = ", ".join(["trunk (default)", *others[:9]])
    assert caught.value.kind == "ref_not_found"
    assert caught.value.message == (
        f"The branch 'main' does not exist in {url}. Branches there: {shown} and 3 more. "
        "Set the project's branch to one of them."
    )


def test_wrong_branch_few_branches_all_named(root):
    repo = _repo_with_branches(root, ["dev"])
    with pytest.raises(GitError) as caught:
        fetch(f"file://{repo}", branch="master")
    assert "Branches there: trunk (default), dev. Set the project's branch" in (
        caught.value.message
    )


@pytest.mark.parametrize("transport", ["file", "http"])
def test_an_empty_repository_says_so(root, transport):
    repo = root / "empty.git"
    git(root, "init", "--quiet", "--bare", str(repo))
    git(repo, "config", "http.receivepack", "false")
    with GitHttpServer(root) as http:
        url = f"file://{repo}" if transport == "file" else http.url("empty.git")
        with pytest.raises(GitError) as caught:
            fetch(url)
    assert caught.value.kind == "ref_not_found"
    assert caught.value.message == (
        f"The branch 'main' does not exist in {url}. The repository has no branches yet "
        "(nothing has been pushed to it): push a first commit, then run the checks again."
    )


def test_transfer_cut_part_way_is_not_could_not_be_reached(root):
    # Incompressible content, so the pack is large and the cut lands inside it.
    make_repo(root, {"weights.txt": os.urandom(1_500_000).hex()}, name="big.git", bare=True)
    with GitHttpServer(root) as http, CutProxy(("127.0.0.1", http.port), 200_000) as proxy:
        url = proxy.url("big.git")
        with pytest.raises(GitError) as caught:
            fetch(url)
    error = caught.value
    assert proxy.sent > 200_000, "the proxy never cut anything"
    assert (error.kind, error.transient) == ("transfer_cut", True), error.detail
    assert error.message == (
        f"The transfer from 127.0.0.1:{proxy.port} was cut off part-way: the connection "
        "closed before the whole repository arrived."
    )
    assert "could not be reached" not in error.message


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        ("fatal: unable to access 'https://h/r/': Could not resolve host: h", "network"),
        (
            "fatal: unable to access 'http://h:1/r/': Failed to connect to h port 1 after 0 ms: "
            "Couldn't connect to server",
            "network",
        ),
        ("fatal: unable to connect to h:\nh[0: 1.2.3.4]: errno=Connection refused", "network"),
        (
            "error: RPC failed; curl 18 transfer closed with outstanding read data remaining\n"
            "fetch-pack: unexpected disconnect while reading sideband packet\nfatal: early EOF",
            "transfer_cut",
        ),
        ("fatal: the remote end hung up unexpectedly\nfatal: early EOF", "transfer_cut"),
        (
            "error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503\n"
            "fatal: the remote end hung up unexpectedly",
            "network",
        ),
        (
            "fatal: unable to access 'https://h/r/': The requested URL returned error: 503",
            "network",
        ),
    ],
)
def test_classify_tells_unreachable_from_cut(stderr, kind):
    assert classify(stderr)[0] == kind


def test_parse_ls_remote_puts_the_default_first():
    out = (
        "ref: refs/heads/trunk\tHEAD\n"
        "abc\tHEAD\n"
        "abc\trefs/heads/alpha\n"
        "abc\trefs/heads/trunk\n"
        "abc\trefs/heads/zeta\n"
    )
    assert parse_ls_remote(out) == ["trunk (default)", "alpha", "zeta"]


# --- MLTRL_GIT_ALLOWED_HOSTS: names and addresses, as docs/deployment.md says --------


@pytest.mark.parametrize(
    ("allowed", "url", "ok"),
    [
        (["localhost"], "https://localhost/r.git", True),
        (["localhost"], "https://127.0.0.1/r.git", False),  # a name allows only that name
        (["127.0.0.1"], "https://127.0.0.1/r.git", True),  # an address allows that address
        (["127.0.0.1"], "https://localhost/r.git", False),  # not names resolving to it
        (["[::1]"], "https://[::1]/r.git", True),
        (["0:0:0:0:0:0:0:1"], "https://[::1]/r.git", True),
        (["::1"], "https://[0::1]/r.git", True),
        (["LOCALHOST."], "https://localhost/r.git", True),
    ],
)
def test_allowed_hosts_take_names_and_addresses(settings, allowed, url, ok):
    settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https"]
    settings.MLTRL_GIT_ALLOWED_HOSTS = allowed
    if ok:
        assert validate_repository_url(url) == url
    else:
        with pytest.raises(ValidationError, match="loopback"):
            validate_repository_url(url)
