"""Push webhooks in: valid, invalid and replayed deliveries from GitHub and GitLab."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from gates.models import CheckRun
from projects.models import Project
from reviews import services
from reviews.api.hooks import repository_key
from tests.org import SHA_A, SHA_B

SECRET = "gh-secret-for-tests"
TOKEN = "gl-token-for-tests"


@pytest.fixture
def hooked(org, settings, django_capture_on_commit_callbacks):
    settings.MLTRL_GITHUB_WEBHOOK_SECRET = SECRET
    settings.MLTRL_GITLAB_WEBHOOK_TOKEN = TOKEN
    # Test setup only: the URL's host need not resolve here (the hook never fetches).
    Project.objects.filter(pk=org.project.pk).update(
        repository_url="https://git.example.com/Acme/vision.git"
    )
    org.project.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        request = services.request_open(
            project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
        )
    return org, request


def github(body: dict, *, delivery: str, secret: str = SECRET, event: str = "push"):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return APIClient().post(
        "/api/v1/hooks/github/",
        raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_GITHUB_EVENT=event,
    )


GH_PUSH = {
    "ref": "refs/heads/main",
    "after": SHA_B,
    "repository": {
        "clone_url": "https://git.example.com/acme/vision.git",
        "ssh_url": "git@git.example.com:acme/vision.git",
    },
}


def test_repository_keys_match_across_url_forms():
    keys = {
        repository_key(u)
        for u in [
            "https://git.example.com/Acme/vision.git",
            "https://git.example.com/acme/vision/",
            "ssh://git@git.example.com:22/acme/vision.git",
            "git@git.example.com:acme/vision.git",
        ]
    }
    assert keys == {"git.example.com/acme/vision"}
    assert repository_key("not a url") is None


def test_valid_github_push_repins_the_request_then_a_replay_changes_nothing(
    hooked, django_capture_on_commit_callbacks
):
    org, request = hooked
    with django_capture_on_commit_callbacks(execute=False):
        response = github(GH_PUSH, delivery="d-1")
    assert response.status_code == 202, response.content
    assert response.json()["projects"] == ["vision"]
    request.refresh_from_db()
    assert request.commit_sha == SHA_B
    runs = CheckRun.objects.filter(project=org.project, commit_sha=SHA_B).count()
    with django_capture_on_commit_callbacks(execute=False):
        replay = github(GH_PUSH, delivery="d-1")
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert CheckRun.objects.filter(project=org.project, commit_sha=SHA_B).count() == runs


@pytest.mark.parametrize(
    "bad",
    [
        {"secret": "wrong"},
        {"tamper": True},
    ],
)
def test_invalid_github_signature_is_401_and_records_nothing(hooked, bad):
    _, request = hooked
    raw = json.dumps(GH_PUSH).encode()
    signature = (
        "sha256=" + hmac.new(bad.get("secret", SECRET).encode(), raw, hashlib.sha256).hexdigest()
    )
    body = raw.replace(SHA_B.encode(), ("c" * 40).encode()) if bad.get("tamper") else raw
    response = APIClient().post(
        "/api/v1/hooks/github/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
        HTTP_X_GITHUB_DELIVERY="d-2",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    request.refresh_from_db()
    assert request.commit_sha == SHA_A


def test_missing_secret_refuses_and_tags_are_ignored(hooked, settings):
    assert github({**GH_PUSH, "ref": "refs/tags/v1"}, delivery="t-1").json()["status"] == "ignored"
    assert github({"ref": 1}, delivery="t-2").status_code == 400
    assert github(GH_PUSH, delivery="").status_code == 400
    assert github(GH_PUSH, delivery="t-3", event="issues").status_code == 400
    settings.MLTRL_GITHUB_WEBHOOK_SECRET = None
    assert github(GH_PUSH, delivery="t-4").status_code == 403


def _gitlab(body, *, token=TOKEN, uuid="g-1"):
    return APIClient().post(
        "/api/v1/hooks/gitlab/",
        body,
        format="json",
        HTTP_X_GITLAB_TOKEN=token,
        HTTP_X_GITLAB_EVENT_UUID=uuid,
    )


def test_gitlab_push_valid_invalid_and_replayed(hooked, django_capture_on_commit_callbacks):
    _, request = hooked
    body = {
        "ref": "refs/heads/main",
        "after": SHA_B,
        "project": {"git_http_url": "https://git.example.com/acme/vision.git"},
    }
    assert _gitlab(body, token="nope").status_code == 401
    request.refresh_from_db()
    assert request.commit_sha == SHA_A
    with django_capture_on_commit_callbacks(execute=False):
        assert _gitlab(body).status_code == 202
    request.refresh_from_db()
    assert request.commit_sha == SHA_B
    assert _gitlab(body).json()["status"] == "duplicate"
    other = {**body, "project": {"git_http_url": "https://git.example.com/acme/other.git"}}
    assert _gitlab(other, uuid="g-2").json()["projects"] == []
