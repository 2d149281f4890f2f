"""Delivering webhooks: rows written with the event, sent after commit, retried with backoff.

- ``deliveries_create`` runs inside the transaction of the audit event (the
  receiver in ``webhooks.receivers``): a delivery commits or rolls back with the
  change it reports, and its Celery message leaves after the commit through the
  outbox (``mltrl_site.outbox``), so a broker outage never fails the change.
- ``delivery_attempt`` (the task ``webhooks.deliver``) claims the row by
  compare-and-swap, validates the URL again and connects to the address it
  just validated (``projects.outbound``), outside any transaction, within
  ``MLTRL_WEBHOOK_TIMEOUT_S``; it logs the attempt and either marks the delivery
  delivered (2xx), schedules the next attempt after an exponential backoff, or
  marks it failed after ``MLTRL_WEBHOOK_MAX_ATTEMPTS``.
- The outbox kind sends again the message of a delivery due long ago (lost
  message) or stuck in ``sending`` (its worker died mid-send).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mltrl_site.outbox import OutboxKind, send_after_commit, send_now
from projects.outbound import post_pinned, target_validate

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .signing import signed_headers

OUTBOX_NAME = "webhook_deliveries"
logger = logging.getLogger(__name__)


def _send(delivery_id: int, countdown: float = 0) -> None:
    from .tasks import deliver

    deliver.apply_async((delivery_id,), countdown=countdown or None)


def delivery_queue_on_commit(delivery: WebhookDelivery) -> None:
    """Stamp the delivery's message as sent now and send it once the transaction commits."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(queued_at=timezone.now())
    pk = delivery.pk
    send_after_commit(lambda: _send(pk), what=f"webhook delivery {pk}")


def deliveries_create(
    subscriptions: Iterable[WebhookSubscription], *, event: str, body: str, event_id: int | None
) -> list[WebhookDelivery]:
    """One pending delivery per subscription, sent after the caller's transaction commits."""
    made = []
    now = timezone.now()
    for subscription in subscriptions:
        delivery = WebhookDelivery.objects.create(
            subscription=subscription,
            event=event,
            body=body,
            event_id=event_id,
            next_attempt_at=now,
        )
        delivery_queue_on_commit(delivery)
        made.append(delivery)
    return made


def backoff_s(attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    base = settings.MLTRL_WEBHOOK_BACKOFF_S * 2 ** (attempt - 1)
    return float(min(base, settings.MLTRL_WEBHOOK_BACKOFF_MAX_S))


EARLY_TOLERANCE_S = 2.0


def _sending_stale_before(now: datetime) -> datetime:
    """A delivery in ``sending`` longer than this was abandoned by a dead worker."""
    return now - timedelta(seconds=settings.MLTRL_WEBHOOK_TIMEOUT_S * 3 + 60)


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the delivery for one attempt (compare-and-swap); None if not ours to send.

    A pending delivery is due once its backoff has run (``next_attempt_at``, with
    ``EARLY_TOLERANCE_S`` for a timer that fires a little early): a duplicate
    message (a broker redelivery, a resend racing the scheduled one) arriving
    sooner is dropped, and the scheduled message, or the outbox, sends it.
    """
    now = timezone.now()
    due = now + timedelta(seconds=EARLY_TOLERANCE_S)
    claimable = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=due) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=_sending_stale_before(now)
    )
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .filter(claimable, pk=delivery_id)
            .select_related("subscription")
            .first()
        )
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    return delivery


def _post(delivery: WebhookDelivery) -> dict:
    """One attempt: validate again, POST to the validated address; the log row's fields."""
    subscription = delivery.subscription
    started = timezone.now()
    clock = time.monotonic()
    fields: dict = {"started_at": started, "address": "", "response_code": None, "error": ""}
    body = delivery.body.encode()
    try:
        target = target_validate(
            subscription.url, allowed_hosts=settings.MLTRL_WEBHOOK_ALLOWED_HOSTS
        )
        headers = signed_headers(
            seed=subscription.secret_seed,
            timestamp=int(time.time()),
            body=body,
            event=delivery.event,
            uid=str(delivery.uid),
        )
        answer = post_pinned(target, body, headers, timeout=settings.MLTRL_WEBHOOK_TIMEOUT_S)
    except ValidationError as exc:
        fields["error"] = "Refused before connecting: " + " ".join(exc.messages)
    except OSError as exc:
        fields["error"] = f"Unreachable: {exc or exc.__class__.__name__}"
    except Exception as exc:  # a time limit, a bad host name...: logged, never a stuck claim
        logger.exception("webhook delivery %s: attempt failed", delivery.pk)
        fields["error"] = f"Not sent: {exc.__class__.__name__}."
    else:
        fields["address"] = answer.address
        fields["response_code"] = answer.status
        text = answer.body.decode("utf-8", errors="replace")
        fields["response_body"] = text[: WebhookAttempt.RESPONSE_KEPT]
        if not 200 <= answer.status < 300:
            fields["error"] = f"The receiver answered {answer.status}."
    fields["duration_ms"] = int((time.monotonic() - clock) * 1000)
    return fields


def delivery_attempt(delivery_id: int) -> str | None:
    """Make one attempt at a delivery; return its new status (None: nothing to do)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.subscription.active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED,
            attempts=delivery.attempts - 1,
            claimed_at=None,
            error="Not sent: the subscription was deactivated.",
        )
        return DeliveryStatus.FAILED
    fields = _post(delivery)
    ok = not fields["error"]
    now = timezone.now()
    last = delivery.attempts >= settings.MLTRL_WEBHOOK_MAX_ATTEMPTS
    with transaction.atomic():
        held = WebhookDelivery.objects.select_for_update().filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING
        )
        if not held.exists():  # deleted with its subscription, or taken over meanwhile
            return None
        WebhookAttempt.objects.create(delivery=delivery, number=delivery.attempts, **fields)
        update = {
            "response_code": fields["response_code"],
            "error": fields["error"],
            "claimed_at": None,
        }
        if ok:
            update.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
        elif last:
            update.update(status=DeliveryStatus.FAILED)
        else:
            delay = backoff_s(delivery.attempts)
            update.update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now + timedelta(seconds=delay),
                queued_at=now,
            )
        held.update(**update)
        if update["status"] == DeliveryStatus.PENDING:
            pk = delivery.pk
            send_after_commit(lambda: _send(pk, delay), what=f"webhook delivery {pk}")
    return update["status"]


def _waiting(cutoff: datetime) -> Iterable[int]:
    now = timezone.now()
    lost = Q(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff) & (
        Q(queued_at__lt=cutoff) | Q(queued_at__isnull=True)
    )
    abandoned = Q(status=DeliveryStatus.SENDING, claimed_at__lt=_sending_stale_before(now))
    return (
        WebhookDelivery.objects.filter(lost | abandoned).order_by("pk").values_list("pk", flat=True)
    )


def _resend(delivery_id: int) -> bool:
    if not send_now(lambda: _send(delivery_id), what=f"webhook delivery {delivery_id}"):
        return False
    WebhookDelivery.objects.filter(pk=delivery_id).update(queued_at=timezone.now())
    return True


WEBHOOKS_OUTBOX = OutboxKind(
    name=OUTBOX_NAME,
    stale_after_s=lambda: settings.MLTRL_WEBHOOK_RESEND_AFTER_S,
    waiting=_waiting,
    resend=_resend,
)
