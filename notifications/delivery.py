"""Creating notices and sending their emails through the outbox.

``notify`` writes the rows in the caller's transaction and sends each email's
Celery message after commit (``mltrl_site.outbox.send_after_commit``), so a
broker outage never fails the action that caused the notice; the outbox
dispatcher sends again what still waits after ``MLTRL_NOTIFY_RESEND_AFTER_S``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from mltrl_site.outbox import OutboxKind, send_after_commit, send_now

from .models import Notification, NotificationSettings

OUTBOX_NAME = "notifications"


def _send(notification_id: int) -> None:
    from .tasks import send_notification_email

    send_notification_email.delay(notification_id)


def email_wanted(user: Any) -> bool:
    if not getattr(user, "email", "") or not user.is_active:
        return False
    prefs = NotificationSettings.objects.filter(user=user).first()
    return prefs is None or prefs.email_enabled


def notify(
    users: Iterable[Any], *, kind: str, title: str, body: str = "", url: str = "", event_id=None
) -> list[Notification]:
    """One notice per person (never twice for the same event); emails after commit."""
    made = []
    for user in {u.pk: u for u in users if u is not None and u.is_active}.values():
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    user=user, kind=kind, title=title[:300], body=body, url=url, event_id=event_id
                )
        except IntegrityError:
            continue  # already told about this event
        made.append(row)
        if email_wanted(user):
            Notification.objects.filter(pk=row.pk).update(email_queued_at=timezone.now())
            row_id = row.pk
            send_after_commit(lambda row_id=row_id: _send(row_id), what=f"notification {row_id}")
    return made


def _waiting(cutoff: datetime) -> Iterable[int]:
    return (
        Notification.objects.filter(email_sent_at__isnull=True, email_queued_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _resend(notification_id: int) -> bool:
    if not send_now(lambda: _send(notification_id), what=f"notification {notification_id}"):
        return False
    Notification.objects.filter(pk=notification_id, email_sent_at__isnull=True).update(
        email_queued_at=timezone.now()
    )
    return True


NOTIFICATIONS_OUTBOX = OutboxKind(
    name=OUTBOX_NAME,
    stale_after_s=lambda: settings.MLTRL_NOTIFY_RESEND_AFTER_S,
    waiting=_waiting,
    resend=_resend,
)
