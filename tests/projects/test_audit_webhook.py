"""Audit anchors sent to a real HTTP receiver on loopback as a signed webhook."""

from __future__ import annotations

import hashlib
import hmac
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from projects import services
from projects.audit_webhook import AnchorWebhookError, anchor_url_validate, anchor_webhook_send
from projects.models import AuditChain
from projects.tasks import audit_anchor
from tests.http_receiver import Receiver
from tests.org import admin_actor
from tests.projects.test_audit import chain_of, tamper


@pytest.fixture
def receiver(settings):
    server = Receiver()
    settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.MLTRL_AUDIT_ANCHOR_URL = f"http://127.0.0.1:{server.port}/anchors?team=x"
    yield server
    server.close()


@pytest.mark.django_db
def test_each_anchor_is_posted_signed_and_matches_the_file(org, receiver, tmp_path):
    audit_anchor.delay()
    services.project_update(project=org.project, actor=admin_actor(), description="later")
    audit_anchor.delay()
    assert len(receiver.received) == 2
    lines = Path(settings.MLTRL_AUDIT_ANCHOR_FILE).read_bytes().splitlines(keepends=True)
    for (path, headers, body), line in zip(receiver.received, lines, strict=True):
        assert path == "/anchors?team=x"
        assert body == line
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Mltrl-Key-Id"] == "k1"
        expected = hmac.new(settings.MLTRL_AUDIT_KEY.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Mltrl-Signature"] == f"sha256={expected}"

    # What the receiver kept verifies the chains on its own ...
    kept = tmp_path / "received.jsonl"
    kept.write_bytes(b"".join(body for _, _, body in receiver.received))
    Path(settings.MLTRL_AUDIT_ANCHOR_FILE).unlink()
    out = StringIO()
    call_command("verify_audit", "--anchor-file", str(kept), stdout=out, stderr=StringIO())
    assert out.getvalue().endswith("all intact.\n")
    # ... and catches a chain cut back after it was sent.
    last = chain_of(org.project)[-1]
    tamper("DELETE FROM projects_auditevent WHERE id = %s", [last.pk])
    AuditChain.objects.filter(key=last.chain).update(
        last_seq=last.seq - 1, last_hash=last.prev_hash
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", "--anchor-file", str(kept), stdout=StringIO(), stderr=err)
    assert f"BROKEN {last.chain} at #{last.seq} (no event): went backwards" in err.getvalue()


@pytest.mark.django_db
def test_a_receiver_that_refuses_is_an_error_but_the_file_keeps_the_anchor(org, settings):
    server = Receiver(status=500)
    try:
        settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = ["127.0.0.1"]
        settings.MLTRL_AUDIT_ANCHOR_URL = f"http://127.0.0.1:{server.port}/a"
        with pytest.raises(AnchorWebhookError, match=r"answered 500; the anchor is only on file"):
            audit_anchor.delay()
        assert len(Path(settings.MLTRL_AUDIT_ANCHOR_FILE).read_text().splitlines()) == 1
        assert len(server.received) == 1
    finally:
        server.close()


def test_an_unreachable_receiver_is_a_clear_error(settings):
    server = Receiver()
    port = server.port
    server.close()  # nothing listens there any more
    settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = ["127.0.0.1"]
    with pytest.raises(AnchorWebhookError, match=r"receiver 127\.0\.0\.1 is unreachable"):
        anchor_webhook_send(b"{}\n", url=f"http://127.0.0.1:{port}/a")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://8.8.8.8/a", "must use https (http only for a host in"),
        ("ftp://8.8.8.8/a", "not 'ftp'"),
        ("https://user:pw@8.8.8.8/a", "Credentials do not belong"),
        ("https://127.0.0.1/a", "loopback address (127.0.0.1); internal addresses are refused"),
        ("https://100.64.0.1/a", "carrier-grade NAT"),
        ("https://[64:ff9b::a00:1]/a", "private address (10.0.0.1 inside 64:ff9b::a00:1)"),
        ("https://8.8.8.8:99999/a", "invalid port"),
        ("https:///a", "names no host"),
        ("https://8.8.8.8/a b", "spaces or control characters"),
    ],
)
def test_anchor_urls_are_validated_like_repository_urls(settings, url, message):
    settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = []
    with pytest.raises(ValidationError) as refused:
        anchor_url_validate(url)
    assert message in refused.value.messages[0]


def test_an_allow_listed_host_may_be_internal_and_use_http(settings):
    settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS = ["127.0.0.1"]
    assert anchor_url_validate("http://127.0.0.1:8080/a") == (
        "http",
        8080,
        "127.0.0.1",
        ["127.0.0.1"],
    )
    assert anchor_url_validate("https://8.8.8.8/a")[3] == ["8.8.8.8"]
