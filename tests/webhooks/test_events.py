"""Events produced where the facts happen: expiring waivers (beat scan), finished runs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import CheckRun
from gates.run_lifecycle import check_run_give_up
from projects.actors import system_actor
from projects.models import AuditEvent
from reviews.tasks import announce_expiring_waivers
from reviews.waivers import waiver_grant
from webhooks.models import WebhookDelivery

from .conftest import subscribe

pytestmark = pytest.mark.django_db


def _waiver(org, days: float):
    return waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="README lives in the wiki.",
        expires_at=timezone.now() + timedelta(days=days),
    )


def test_a_waiver_expiring_soon_is_announced_once(
    org, receiver, settings, django_capture_on_commit_callbacks
):
    settings.MLTRL_WAIVER_EXPIRING_HOURS = 72
    soon, later = _waiver(org, 2), _waiver(org, 10)
    subscribe(org, receiver.url, ["waiver.expiring"])
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_expiring_waivers.delay().get() == 1
    assert announce_expiring_waivers.delay().get() == 0  # once per waiver
    events = AuditEvent.objects.filter(kind="waiver.expiring")
    assert [e.payload["waiver"] for e in events] == [soon.pk]
    assert len(receiver.received) == 1
    payload = json.loads(receiver.received[0][2])
    assert payload["event"] == "waiver.expiring" and payload["actor"] == "system:worker"
    assert payload["data"]["waiver"]["id"] == soon.pk
    assert payload["data"]["waiver"]["check"] == "readme_purpose"
    assert payload["data"]["waiver"]["granted_by"] == "lead"
    assert later.pk not in [e.payload["waiver"] for e in events]


def test_a_revoked_or_expired_waiver_is_not_announced(org, settings):
    from reviews.waivers import waiver_revoke, waivers_expiring_announce

    waiver_revoke(waiver=_waiver(org, 1), actor=org.lead)
    gone = _waiver(org, 1)
    worker = system_actor("worker")
    assert waivers_expiring_announce(actor=worker, now=gone.expires_at + timedelta(1)) == 0


def test_a_run_given_up_is_a_finished_run(org, receiver, django_capture_on_commit_callbacks):
    subscribe(org, receiver.url, ["check_run.finished"])
    run = CheckRun.objects.create(project=org.project, status="running", check_keys=["a"])
    with django_capture_on_commit_callbacks(execute=True):
        check_run_give_up(run.pk, "The repository could not be fetched.")
    run.refresh_from_db()
    assert run.status == "failed"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    data = json.loads(delivery.body)["data"]["run"]
    assert (data["id"], data["status"]) == (run.pk, "failed")
    assert data["message"] == "The repository could not be fetched."
    check_run_give_up(run.pk, "again")  # already final: no second event
    assert WebhookDelivery.objects.count() == 1
    assert CheckRun.objects.get(pk=run.pk).message == "The repository could not be fetched."


def test_the_new_audit_kinds_read_as_sentences_in_the_history():
    from projects.timeline import event_sentence

    run = {"run": 7, "status": "failed", "commit": "c" * 40}
    assert event_sentence("checks.finished", run) == "check run #7 failed on cccccccccc"
    waiver = {"check": "coverage", "expires_at": "2030-01-02T00:00:00+00:00"}
    assert event_sentence("waiver.expiring", waiver) == (
        "the waiver of coverage expires on 2030-01-02"
    )
    hook = {"webhook": 3, "host": "hooks.example.com"}
    assert event_sentence("webhook.created", hook) == (
        "subscribed the webhook #3 to hooks.example.com"
    )
    assert event_sentence("webhook.redelivered", hook) == (
        "redelivered through the webhook #3 to hooks.example.com"
    )
