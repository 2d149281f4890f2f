"""Repository URL validation: what is refused (and why), what is accepted.

Host checks use the machine's real resolver: IP literals need no DNS,
``localhost`` resolves through /etc/hosts and ``.invalid`` never resolves
(RFC 6761), so the table holds on a machine without network access.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from projects import services
from projects.models import AuditEvent, CardVersion, MLTRLCard, Project
from projects.repo_urls import validate_repository_url
from tests.org import admin_actor

INTERNAL = "internal addresses are refused"


@pytest.fixture
def git_settings(settings, tmp_path):
    """Production-like defaults: https/ssh/git, no allow-listed hosts, no file root."""
    settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https", "ssh", "git"]
    settings.MLTRL_GIT_ALLOWED_HOSTS = []
    settings.MLTRL_GIT_FILE_ROOT = None
    return settings


def _file_root(settings, tmp_path):
    root = tmp_path / "repos"
    root.mkdir()
    settings.MLTRL_GIT_FILE_ROOT = str(root)
    return root


REFUSED = [
    # (url, words the message must contain, settings overrides)
    ("", "Enter a repository URL", {}),
    ("   ", "Enter a repository URL", {}),
    ("file:///etc/passwd", "file:// repository URLs are not allowed", {}),
    ("file://evil.example/srv/repo.git", "may not name a host", {}),
    ("/srv/repo.git", "bare paths and scp-like", {}),
    ("repo", "bare paths and scp-like", {}),
    ("git@github.com:org/repo.git", "bare paths and scp-like", {}),
    ("ext::sh -c touch% /tmp/pwned", "spaces or control characters", {}),
    ("ext::sh%20-c%20touch%20/tmp/pwned", "Transport helpers such as 'ext::'", {}),
    ("fd::3/repo.git", "Transport helpers", {}),
    ("http://8.8.8.8/org/repo.git", "The scheme 'http' is not allowed; use one of: https", {}),
    ("ftp://8.8.8.8/org/repo.git", "The scheme 'ftp' is not allowed", {}),
    ("ssh://git@8.8.8.8/org/repo.git", "'ssh' is not allowed", {"SCHEMES": ["https"]}),
    ("https://user:pw@example.com/r.git", "Credentials do not belong", {}),
    ("https://token@example.com/r.git", "Credentials do not belong", {}),
    ("ssh://git:secret@8.8.8.8/r.git", "Credentials do not belong", {}),
    ("https://localhost/r.git", "loopback address (127.0.0.1)", {}),
    ("https://127.0.0.1/r.git", "loopback address (127.0.0.1)", {}),
    ("https://127.1/r.git", "loopback", {}),
    ("https://2130706433/r.git", "loopback", {}),
    ("git://10.0.0.1/r.git", "private address (10.0.0.1)", {}),
    ("https://192.168.1.1/r.git", "private address (192.168.1.1)", {}),
    ("https://169.254.169.254/latest/meta-data", "link-local address (169.254.169.254)", {}),
    ("https://[::1]/r.git", "loopback address (::1)", {}),
    ("https://[::ffff:127.0.0.1]/r.git", "loopback", {}),
    ("ssh://git@[::ffff:10.0.0.1]/r.git", INTERNAL, {}),
    ("https://0.0.0.0/r.git", INTERNAL, {}),
    ("https://224.0.0.1/r.git", "multicast", {}),
    # Not global unicast although older checks let them through (issue 6).
    ("https://100.64.0.1/r.git", "carrier-grade NAT address (100.64.0.1)", {}),
    ("http://100.100.100.200/r.git", "carrier-grade NAT", {"SCHEMES": ["https", "http"]}),
    ("https://192.0.0.8/r.git", "IETF protocol-assignment address (192.0.0.8)", {}),
    ("https://198.18.0.1/r.git", "benchmarking", {}),
    ("https://192.0.2.1/r.git", "documentation", {}),
    ("https://255.255.255.255/r.git", "broadcast", {}),
    ("https://240.0.0.1/r.git", "reserved", {}),
    # IPv4 wrapped in IPv6 is judged by the IPv4 inside.
    ("https://[2002:7f00:1::]/r.git", "loopback address (127.0.0.1 inside 2002:7f00:1::)", {}),
    ("https://[2002:a00:1::]/r.git", "private address (10.0.0.1 inside", {}),
    ("https://[64:ff9b::7f00:1]/r.git", "loopback address (127.0.0.1 inside 64:ff9b::7f00:1)", {}),
    ("https://[64:ff9b::a9fe:a9fe]/r.git", "link-local address (169.254.169.254 inside", {}),
    ("https://[64:ff9b:1::7f00:1]/r.git", "local-use NAT64", {}),
    ("https://[64:ff9b:1::808:808]/r.git", "local-use NAT64", {}),
    # Teredo: the client address is the last 32 bits inverted (~127.0.0.1).
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/r.git", "loopback address (127.0.0.1", {}),
    ("https://[::ffff:100.64.0.1]/r.git", "carrier-grade NAT", {}),
    ("https://[::ffff:192.0.0.8]/r.git", "IETF protocol-assignment", {}),
    ("https://[::127.0.0.1]/r.git", "reserved", {}),  # IPv4-compatible, deprecated
    ("https://[fd00::1]/r.git", "private address (fd00::1)", {}),
    ("https://[fe80::1]/r.git", "link-local", {}),
    ("https://[fec0::1]/r.git", "site-local", {}),
    ("https://[ff02::1]/r.git", "multicast", {}),
    ("https://[2001:db8::1]/r.git", "documentation", {}),
    ("https://[100::1]/r.git", "discard-only", {}),
    ("https://[2001:10::1]/r.git", "IETF protocol-assignment", {}),
    ("https://[4000::1]/r.git", "reserved address (4000::1)", {}),
    ("https://localhost/r.git", "loopback", {"HOSTS": ["github.com"]}),
    ("--upload-pack=touch%20/tmp/pwned", "may not start with '-'", {}),
    ("-oProxyCommand=x", "may not start with '-'", {}),
    ("https://8.8.8.8/r.git\n--upload-pack=x", "spaces or control characters", {}),
    ("https://8.8.8.8/r\t.git", "spaces or control characters", {}),
    ("https://8.8.8.8/r\x7f.git", "spaces or control characters", {}),
    ("https://8.8.8.8/my repo.git", "spaces or control characters", {}),
    ("https://8.8.8.8", "names no repository path", {}),
    ("https://8.8.8.8/", "names no repository path", {}),
    ("https:///r.git", "names no host", {}),
    ("https://8.8.8.8:99999/r.git", "invalid port", {}),
    ("https://8.8.8.8:git/r.git", "invalid port", {}),
    ("https://nonexistent.invalid/r.git", "'nonexistent.invalid' does not resolve", {}),
]


@pytest.mark.parametrize(
    ("url", "message", "overrides"), REFUSED, ids=[repr(r[0]) for r in REFUSED]
)
def test_refused_with_a_clear_message(git_settings, url, message, overrides):
    if "SCHEMES" in overrides:
        git_settings.MLTRL_GIT_ALLOWED_SCHEMES = overrides["SCHEMES"]
    if "HOSTS" in overrides:
        git_settings.MLTRL_GIT_ALLOWED_HOSTS = overrides["HOSTS"]
    with pytest.raises(ValidationError) as caught:
        validate_repository_url(url)
    assert caught.value.code == "repository_url"
    assert message in caught.value.messages[0]


def test_refused_internal_host_message_names_host_and_address(git_settings):
    with pytest.raises(ValidationError) as caught:
        validate_repository_url("https://localhost/r.git")
    assert caught.value.messages == [
        "The host 'localhost' resolves to a loopback address (127.0.0.1); "
        "internal addresses are refused."
    ]


ACCEPTED = [
    "https://8.8.8.8/org/repo.git",
    "HTTPS://8.8.8.8/org/repo.git",
    "https://8.8.8.8:8443/org/repo.git",
    "ssh://git@93.184.216.34/org/repo.git",
    "ssh://git@93.184.216.34:2222/org/repo.git",
    "git://93.184.216.34/org/repo",
    "https://[2001:4860:4860::8888]/org/repo.git",
    # Wrapped forms of a global address are judged by it, so they pass too.
    "https://[2002:808:808::1]/org/repo.git",
    "https://[64:ff9b::808:808]/org/repo.git",
    "https://[::ffff:8.8.8.8]/org/repo.git",
    "https://100.128.0.1/org/repo.git",  # just outside 100.64.0.0/10
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_addresses_are_accepted_unchanged(git_settings, url):
    assert validate_repository_url(url) == url


def test_surrounding_whitespace_is_stripped(git_settings):
    assert validate_repository_url("  https://8.8.8.8/org/repo.git\n") == (
        "https://8.8.8.8/org/repo.git"
    )


def test_resolve_false_skips_only_the_host_lookup(git_settings):
    assert validate_repository_url("https://localhost/r.git", resolve=False) == (
        "https://localhost/r.git"
    )
    with pytest.raises(ValidationError, match="Credentials"):
        validate_repository_url("https://t@localhost/r.git", resolve=False)


def test_allow_listed_host_may_resolve_to_loopback(git_settings):
    git_settings.MLTRL_GIT_ALLOWED_HOSTS = ["LocalHost"]
    assert validate_repository_url("https://localhost/r.git") == "https://localhost/r.git"
    # The allow-list names hosts, not addresses: the IP literal stays refused.
    with pytest.raises(ValidationError, match="loopback"):
        validate_repository_url("https://127.0.0.1/r.git")


def test_allow_listed_host_must_still_resolve(git_settings):
    git_settings.MLTRL_GIT_ALLOWED_HOSTS = ["nonexistent.invalid"]
    with pytest.raises(ValidationError, match="does not resolve"):
        validate_repository_url("https://nonexistent.invalid/r.git")


def test_http_is_accepted_once_allowed(git_settings):
    git_settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https", "http"]
    assert validate_repository_url("http://8.8.8.8/r.git") == "http://8.8.8.8/r.git"


# --- file:// under MLTRL_GIT_FILE_ROOT ------------------------------------------------


def test_file_url_inside_root_is_accepted_and_normalised(git_settings, tmp_path):
    root = _file_root(git_settings, tmp_path)
    (root / "demo.git").mkdir()
    resolved = root.resolve()
    assert validate_repository_url(f"file://{root}/demo.git") == f"file://{resolved}/demo.git"
    assert validate_repository_url(f"file://{root}/x/../demo.git") == (
        f"file://{resolved}/demo.git"
    )
    assert validate_repository_url(f"file://localhost{root}/demo.git") == (
        f"file://{resolved}/demo.git"
    )
    assert validate_repository_url(f"file://{root}") == f"file://{resolved}"


@pytest.mark.parametrize(
    "suffix",
    ["/../outside.git", "/../../etc", "/demo.git/../../outside.git"],
)
def test_file_url_escaping_root_with_dotdot_is_refused(git_settings, tmp_path, suffix):
    root = _file_root(git_settings, tmp_path)
    with pytest.raises(ValidationError, match="must point inside"):
        validate_repository_url(f"file://{root}{suffix}")


def test_file_url_outside_root_is_refused(git_settings, tmp_path):
    _file_root(git_settings, tmp_path)
    (tmp_path / "repos-sibling").mkdir()
    for url in ("file:///etc/passwd", f"file://{tmp_path}/repos-sibling/r.git"):
        with pytest.raises(ValidationError, match="must point inside"):
            validate_repository_url(url)


def test_file_url_through_symlink_out_of_root_is_refused(git_settings, tmp_path):
    root = _file_root(git_settings, tmp_path)
    (tmp_path / "secret.git").mkdir()
    (root / "link.git").symlink_to(tmp_path / "secret.git")
    with pytest.raises(ValidationError, match="must point inside"):
        validate_repository_url(f"file://{root}/link.git")


def test_file_url_with_host_is_refused_even_with_root(git_settings, tmp_path):
    root = _file_root(git_settings, tmp_path)
    with pytest.raises(ValidationError, match="may not name a host"):
        validate_repository_url(f"file://8.8.8.8{root}/demo.git")


def test_file_url_escaping_root_with_percent_encoded_dotdot_is_refused(git_settings, tmp_path):
    root = _file_root(git_settings, tmp_path)
    with pytest.raises(ValidationError):
        validate_repository_url(f"file://{root}/%2e%2e/outside.git")


def test_option_like_ssh_user_is_refused(git_settings):
    with pytest.raises(ValidationError):
        validate_repository_url("ssh://-oProxyCommand=x@8.8.8.8/r.git")


# --- the project services refuse bad URLs and branches and write nothing ---------------


def _counts() -> tuple[int, ...]:
    return (
        Project.objects.count(),
        MLTRLCard.objects.count(),
        CardVersion.objects.count(),
        AuditEvent.objects.count(),
    )


BAD_URLS = [
    "https://127.0.0.1/r.git",
    "git@github.com:org/repo.git",
    "https://token@example.com/r.git",
    "file:///etc/passwd",
]
BAD_BRANCHES = ["--upload-pack=x", "a..b", "a b", "", "x:y", "refs/*", "a\x01b"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", BAD_URLS)
def test_project_create_refuses_bad_url_and_writes_nothing(org, git_settings, url):
    before = _counts()
    with pytest.raises(ValidationError):
        services.project_create(
            team=org.teams["research"],
            slug="nlp",
            name="NLP",
            repository_url=url,
            actor=admin_actor(),
        )
    assert _counts() == before
    assert not Project.objects.filter(slug="nlp").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("branch", BAD_BRANCHES)
def test_project_create_refuses_bad_branch_and_writes_nothing(org, git_settings, branch):
    before = _counts()
    with pytest.raises(ValidationError, match="not a valid branch name"):
        services.project_create(
            team=org.teams["research"],
            slug="nlp",
            name="NLP",
            repository_url="https://8.8.8.8/org/nlp.git",
            default_branch=branch,
            actor=admin_actor(),
        )
    assert _counts() == before


@pytest.mark.django_db
def test_project_create_stores_validated_url_and_branch(org, git_settings):
    project = services.project_create(
        team=org.teams["research"],
        slug="nlp",
        name="NLP",
        repository_url=" https://8.8.8.8/org/nlp.git ",
        default_branch=" release/1.x ",
        actor=admin_actor(),
    )
    project.refresh_from_db()
    assert project.repository_url == "https://8.8.8.8/org/nlp.git"
    assert project.default_branch == "release/1.x"


@pytest.mark.django_db
@pytest.mark.parametrize("url", BAD_URLS)
def test_project_update_refuses_bad_url_and_writes_nothing(org, git_settings, url):
    project = services.project_update(
        project=org.project, repository_url="https://8.8.8.8/org/vision.git", actor=admin_actor()
    )
    before = _counts()
    with pytest.raises(ValidationError):
        services.project_update(project=project, actor=org.researcher, repository_url=url)
    project.refresh_from_db()
    assert project.repository_url == "https://8.8.8.8/org/vision.git"
    assert _counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("branch", BAD_BRANCHES)
def test_project_update_refuses_bad_branch_and_writes_nothing(org, git_settings, branch):
    before = _counts()
    with pytest.raises(ValidationError, match="not a valid branch name"):
        services.project_update(
            project=org.project,
            actor=org.researcher,
            name="Renamed",
            default_branch=branch,
        )
    org.project.refresh_from_db()
    assert (org.project.name, org.project.default_branch) == ("Vision model", "main")
    assert _counts() == before


@pytest.mark.django_db
def test_project_update_records_the_new_url_in_the_audit_log(org, git_settings):
    services.project_update(
        project=org.project, actor=org.researcher, repository_url="https://8.8.8.8/org/v.git"
    )
    event = AuditEvent.objects.filter(project=org.project, kind="project.updated").get()
    assert event.payload == {
        "repository_url": {"from": "", "to": "https://8.8.8.8/org/v.git"},
    }
    assert event.actor_id == org.researcher.pk
