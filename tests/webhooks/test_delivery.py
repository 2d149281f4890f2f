"""Deliveries to a real HTTP receiver on loopback: signed, retried, logged, pinned."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from mltrl_site.outbox import outbox_dispatch
from projects.services import project_level_apply
from reviews import services
from tests.http_receiver import Receiver
from tests.org import SHA_A, admin_actor
from tests.reviews.steps import approve_all, fill_card, pass_checks
from webhooks.models import WebhookDelivery

from .conftest import subscribe, verify

pytestmark = pytest.mark.django_db

ALL = ["level.changed", "request.opened", "request.decided", "check_run.finished"]


def _open(org):
    return services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )


def test_an_approval_delivers_signed_events_the_receiver_verifies(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    secret = {}

    def answer(headers, body):
        return 204 if verify(secret["value"], headers, body) else 401

    with Receiver(answer=answer) as server:
        created = subscribe(org, server.url, ALL)
        secret["value"] = created.secret
        with django_capture_on_commit_callbacks(execute=True):
            request = _open(org)
            pass_checks(request)
            fill_card(org.project)
            approve_all(org, request, ["lead"])
        events = [h["X-Mltrl-Event"] for _, h, _ in server.received]
    assert events == ["request.opened", "check_run.finished", "request.decided", "level.changed"]
    deliveries = WebhookDelivery.objects.filter(subscription=created.subscription)
    assert {d.status for d in deliveries} == {"delivered"}
    assert all(d.attempts == 1 and d.response_code == 204 for d in deliveries)
    path, headers, body = server.received[-1]
    assert path == "/hook"
    assert headers["X-Mltrl-Delivery"] == str(deliveries.get(event="level.changed").uid)
    payload = json.loads(body)
    assert payload["event"] == "level.changed"
    assert payload["project"]["slug"] == "vision" and payload["project"]["level"] == 1
    assert payload["data"]["from_level"] == 0 and payload["data"]["to_level"] == 1
    assert payload["data"]["request"]["state"] == "approved"
    decided = json.loads(server.received[2][2])
    assert decided["data"]["decision"] == "approved" and decided["actor"] == "lead"
    finished = json.loads(server.received[1][2])["data"]["run"]
    assert finished["status"] == "succeeded" and finished["results"][0]["outcome"] == "pass"


def test_a_wrong_secret_fails_the_receivers_check(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    """The test's verifier is not vacuous: another secret, or an old timestamp, is refused."""
    with Receiver() as server:
        created = subscribe(org, server.url, ["request.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            _open(org)
        _, headers, body = server.received[0]
    assert verify(created.secret, headers, body)
    assert not verify(created.secret[:-1] + "0", headers, body)
    assert not verify(created.secret, headers, body + b" ")
    old = {**headers, "X-Mltrl-Timestamp": str(int(headers["X-Mltrl-Timestamp"]) - 301)}
    assert not verify(created.secret, old, body)


def test_a_receiver_failing_twice_then_accepting_is_retried_and_logged(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500, 503, 200]) as server:
        subscribe(org, server.url, ["request.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            _open(org)
        assert len(server.received) == 3
        # Every attempt sends the same body and delivery id, freshly signed.
        assert len({body for _, _, body in server.received}) == 1
        assert len({h["X-Mltrl-Delivery"] for _, h, _ in server.received}) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert delivery.error == ""
    log = list(delivery.log.all())
    assert [a.number for a in log] == [1, 2, 3]
    assert [a.response_code for a in log] == [500, 503, 200]
    assert [a.error for a in log] == [
        "The receiver answered 500.",
        "The receiver answered 503.",
        "",
    ]
    assert log[0].response_body == "answer 1: 500" and log[2].address == "127.0.0.1"


def test_attempts_are_bounded_and_the_delivery_ends_failed(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    with Receiver(status=500) as server:
        subscribe(org, server.url, ["request.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            _open(org)
        assert len(server.received) == 4  # MLTRL_WEBHOOK_MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert delivery.error == "The receiver answered 500."


def test_an_unreachable_receiver_is_logged_and_the_change_still_commits(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    server = Receiver()
    url = server.url
    server.close()  # nothing listens there any more
    subscribe(org, url, ["request.opened"])
    with django_capture_on_commit_callbacks(execute=True):
        request = _open(org)
    request.refresh_from_db()
    assert request.state == "open"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.log.first().error.startswith("Unreachable:")


def test_backoff_doubles_up_to_the_cap(settings):
    from webhooks.delivery import backoff_s

    settings.MLTRL_WEBHOOK_BACKOFF_S = 30
    settings.MLTRL_WEBHOOK_BACKOFF_MAX_S = 200
    assert [backoff_s(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 200]


def _resolver(monkeypatch, answers: dict[str, list[str]]):
    """Fake DNS for named hosts (each answer used once, then the next); other names resolve."""
    real = socket.getaddrinfo
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            asked.append(host)
            address = answers[host].pop(0)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_host_whose_dns_turns_internal_is_refused_at_delivery(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.MLTRL_WEBHOOK_ALLOWED_HOSTS = []
    settings.MLTRL_WEBHOOK_MAX_ATTEMPTS = 2
    settings.MLTRL_WEBHOOK_BACKOFF_S = 0
    _resolver(monkeypatch, {"hooks.example.com": ["93.184.216.34", "169.254.169.254", "10.0.0.7"]})
    subscribe(org, "https://hooks.example.com/in", ["request.opened"])  # public when created
    with django_capture_on_commit_callbacks(execute=True):
        _open(org)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    first, second = delivery.log.all()
    assert first.error.startswith("Refused before connecting: The host 'hooks.example.com'")
    assert "link-local address (169.254.169.254)" in first.error
    assert "private address (10.0.0.7)" in second.error
    assert first.address == "" and first.response_code is None  # never connected


def test_the_connection_goes_to_the_address_validated(
    org, loopback_hooks, monkeypatch, django_capture_on_commit_callbacks
):
    """One resolution per attempt: the socket connects to that address (no second lookup
    that a rebinding DNS could answer differently); the name stays in ``Host``."""
    loopback_hooks.MLTRL_WEBHOOK_ALLOWED_HOSTS = ["hook.test"]
    with Receiver() as server:
        asked = _resolver(monkeypatch, {"hook.test": ["127.0.0.1", "127.0.0.1"]})
        subscribe(org, f"http://hook.test:{server.port}/in", ["request.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            _open(org)
        assert len(asked) == 2  # once when subscribing, once for the attempt
        _, headers, _ = server.received[0]
    assert headers["Host"] == f"hook.test:{server.port}"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_only_matching_active_subscriptions_get_deliveries(org, receiver):
    team_wide = subscribe(org, receiver.url, ["level.changed"], actor=admin_actor(),
                          team=org.teams["research"])  # fmt: skip
    other_event = subscribe(org, receiver.url, ["request.opened"])
    inactive = subscribe(org, receiver.url, ["level.changed"])
    inactive.subscription.active = False
    inactive.subscription.save()
    other_team = subscribe(org, receiver.url, ["level.changed"], actor=admin_actor(),
                           team=org.teams["engineering"])  # fmt: skip
    project_level_apply(project=org.project, to_level=2, actor=admin_actor(), reason="import")
    made = WebhookDelivery.objects.values_list("subscription_id", "event")
    assert list(made) == [(team_wide.subscription.pk, "level.changed")]
    assert other_event and other_team


def test_the_outbox_sends_a_delivery_whose_message_was_lost(org, receiver):
    subscribe(org, receiver.url, ["request.opened"])
    _open(org)  # no commit callbacks here: the message is never sent, as if lost
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and receiver.received == []
    outbox_dispatch(now=timezone.now() + timedelta(hours=1))
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(receiver.received) == 1
    outbox_dispatch(now=timezone.now() + timedelta(hours=2))  # nothing left to send
    assert len(receiver.received) == 1


def test_a_fault_writing_deliveries_never_refuses_the_change(org, receiver, monkeypatch, caplog):
    subscribe(org, receiver.url, ["request.opened"])

    def broken(*args, **kwargs):
        raise RuntimeError("bug in a payload builder")

    monkeypatch.setattr("webhooks.receivers.event_body", broken)
    request = _open(org)
    request.refresh_from_db()
    assert request.state == "open"
    assert not WebhookDelivery.objects.exists()
    assert "webhook deliveries for audit event" in caplog.text


def test_an_unexpected_error_in_an_attempt_is_logged_not_stuck(
    org, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    subscribe(org, receiver.url, ["request.opened"])

    def broken(*args, **kwargs):
        raise UnicodeError("label too long")

    monkeypatch.setattr("webhooks.delivery.post_pinned", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _open(org)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert delivery.error == "Not sent: UnicodeError."


def test_a_receiver_dripping_its_answer_is_cut_at_the_timeout(
    org, loopback_hooks, django_capture_on_commit_callbacks
):
    from tests.hostile_servers import DripServer

    loopback_hooks.MLTRL_WEBHOOK_TIMEOUT_S = 1
    loopback_hooks.MLTRL_WEBHOOK_MAX_ATTEMPTS = 1
    with DripServer() as server:
        subscribe(org, server.url("hook"), ["request.opened"])
        with django_capture_on_commit_callbacks(execute=True):
            _open(org)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.error == "Unreachable: no complete answer within 1 s"


def test_a_duplicate_message_before_the_backoff_ends_is_dropped(
    org, loopback_hooks, settings, django_capture_on_commit_callbacks
):
    """Attempt 1 fails; a second message for the delivery (a broker redelivery)
    arrives at once: no attempt before ``next_attempt_at``; once due, it is sent."""
    from webhooks.delivery import delivery_attempt

    settings.MLTRL_WEBHOOK_BACKOFF_S = 60
    with Receiver(statuses=[500, 200]) as server:
        subscribe(org, server.url, ["request.opened"])
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _open(org)
        for callback in callbacks:  # the first attempt only (its retry is not run)
            callback()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert delivery_attempt(delivery.pk) is None  # the early duplicate
        assert len(server.received) == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert delivery_attempt(delivery.pk) == "delivered"
        assert len(server.received) == 2
