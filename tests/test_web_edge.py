"""The web edge: failed logins are throttled (django-axes) and every response
carries a Content-Security-Policy that allows no inline script or style."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from projects.models import Project

LOGIN = "/admin/login/"
LOCKED = (
    "Too many failed sign-in attempts for this account or from this address. "
    "Sign-in is locked for 15 minutes; try again later or ask an administrator."
)
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "admin", password="right-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def throttle(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.MLTRL_TRUSTED_PROXIES = ["10.9.0.0/24"]
    return settings


def attempt(client, username: str, password: str, *, ip: str = "203.0.113.7", **headers):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        **headers,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(
    client, staff, throttle
):
    for _ in range(2):
        response = attempt(client, "admin", "wrong")
        assert response.status_code == 200  # the login form again, with its error
        assert "Please enter the correct username and password" in response.text
    locked = attempt(client, "admin", "wrong")
    assert locked.status_code == 429
    assert LOCKED in locked.text

    refused = attempt(client, "admin", "right-password")
    assert refused.status_code == 429 and LOCKED in refused.text
    assert not signed_in(client)
    # From another address too: the account itself is locked.
    elsewhere = attempt(client, "admin", "right-password", ip="198.51.100.9")
    assert elsewhere.status_code == 429 and not signed_in(client)


@pytest.mark.django_db
def test_wrong_passwords_from_one_address_lock_that_address_for_every_account(
    client, staff, throttle
):
    get_user_model().objects.create_user("other", password="other-password")
    for name in ("alice", "bob", "carol"):
        attempt(client, name, "guess")
    refused = attempt(client, "admin", "right-password")
    assert refused.status_code == 429 and not signed_in(client)
    accepted = attempt(client, "admin", "right-password", ip="198.51.100.9")
    assert accepted.status_code == 302 and signed_in(client)


@pytest.mark.django_db
def test_below_the_limit_the_right_password_signs_in_and_resets_the_count(client, staff, throttle):
    attempt(client, "admin", "wrong")
    attempt(client, "admin", "wrong")
    assert attempt(client, "admin", "right-password").status_code == 302
    client.logout()
    attempt(client, "admin", "wrong")
    attempt(client, "admin", "wrong")
    assert attempt(client, "admin", "right-password").status_code == 302


@pytest.mark.django_db
def test_forwarded_for_counts_only_from_a_trusted_proxy(client, staff, throttle):
    # A direct client cannot dodge the address count by inventing X-Forwarded-For.
    for n in range(3):
        attempt(client, f"user{n}", "guess", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    refused = attempt(client, "admin", "right-password", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert refused.status_code == 429
    # Behind the trusted proxy, each client is counted by the address it reports.
    via_proxy = attempt(
        client,
        "admin",
        "right-password",
        ip="10.9.0.2",
        HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.20",
    )
    assert via_proxy.status_code == 302


@pytest.mark.django_db
def test_test_client_login_and_force_login_still_work(client, staff, throttle):
    assert client.login(username="admin", password="right-password")
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert not client.login(username="admin", password="wrong")
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


# --- Content-Security-Policy ----------------------------------------------------------

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # a script without src
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle=", re.IGNORECASE),
    re.compile(r"\son[a-z]+=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


def directives(policy: str) -> set[str]:
    return {part.strip() for part in policy.split(";")}


def assert_strict_policy(response) -> None:
    assert directives(response["Content-Security-Policy"]) == directives(POLICY)


def inline_code(html: str) -> list[str]:
    return [m.group(0) for pattern in INLINE for m in pattern.finditer(html)]


@pytest.mark.django_db
def test_csp_on_a_page_an_error_page_and_the_api(client, staff):
    login = client.get(LOGIN)
    assert login.status_code == 200
    assert_strict_policy(login)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert_strict_policy(missing)
    api_refusal = client.get("/api/v1/requests/1/checks/")
    assert api_refusal.status_code == 401  # anonymous: not authenticated (Bearer or session)
    assert_strict_policy(api_refusal)
    locked = client.post(LOGIN, {"username": "x", "password": "y"})
    assert_strict_policy(locked)


@pytest.mark.django_db
def test_the_admin_renders_under_the_policy_with_no_inline_code(client, org, staff):
    client.force_login(staff)
    project = Project.objects.first()
    pages = [
        "/admin/",
        "/admin/projects/project/",
        f"/admin/projects/project/{project.pk}/change/",
        "/admin/projects/project/add/",
        "/admin/auth/user/",
        f"/admin/auth/user/{staff.pk}/change/",
        f"/admin/auth/user/{staff.pk}/password/",
        "/admin/password_change/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_policy(response)
        assert inline_code(response.text) == [], url
        # Every script the page loads comes from this site.
        assert all(
            src.startswith("/") for src in re.findall(r'<script[^>]*src="([^"]+)"', response.text)
        ), url
