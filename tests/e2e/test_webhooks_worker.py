"""An approval reaches a webhook receiver through a real Celery worker, Redis and PostgreSQL.

The receiver (a threaded ``http.server`` on loopback, in this process) checks
the signature with code written here and refuses the first delivery, so the
worker's retry with backoff is exercised for real.
"""

from __future__ import annotations

import json

import pytest

from tests.http_receiver import Receiver
from tests.org import SHA_A, build_org
from tests.reviews.steps import approve_all, fill_card, pass_checks
from tests.webhooks.conftest import subscribe, verify
from webhooks.models import WebhookDelivery

from .worker import celery_worker, wait_for

END = 300  # generous: two cores shared with everything else

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def test_an_approval_is_delivered_signed_by_the_worker_after_a_retry(settings, tmp_path):
    from reviews import services

    settings.MLTRL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    org = build_org()
    secret, seen = {}, []

    def answer(headers, body):
        seen.append(headers["X-Mltrl-Event"])
        if not verify(secret["value"], headers, body):
            return 401
        return 503 if seen.count(headers["X-Mltrl-Event"]) == 1 else 200  # refuse each once

    env = {"MLTRL_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "MLTRL_WEBHOOK_BACKOFF_S": "1"}
    with Receiver(answer=answer) as server, celery_worker(env, log_path=tmp_path / "w.log"):
        created = subscribe(org, server.url, ["level.changed", "request.decided"])
        secret["value"] = created.secret
        request = services.request_open(
            project=org.project, actor=org.researcher, kind="advance", to_level=1,
            commit_sha=SHA_A,
        )  # fmt: skip
        pass_checks(request)
        fill_card(org.project)
        assert approve_all(org, request, ["lead"]).state == "approved"
        wait_for(
            lambda: WebhookDelivery.objects.filter(status="delivered").count() == 2,
            timeout=END,
            what="both deliveries to succeed",
        )
    level = WebhookDelivery.objects.get(event="level.changed")
    assert level.attempts == 2
    assert [(a.response_code, a.error) for a in level.log.all()] == [
        (503, "The receiver answered 503."),
        (200, ""),
    ]
    bodies = [json.loads(b) for _, h, b in server.received if h["X-Mltrl-Event"] == "level.changed"]
    assert bodies[-1]["data"]["to_level"] == 1 and bodies[-1]["project"]["slug"] == "vision"
    assert sorted(seen) == sorted(["level.changed", "request.decided"] * 2)
