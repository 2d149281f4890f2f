"""Celery tasks of the notifications app (they take ids): one email, the daily digest."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


@shared_task(name="notifications.send_email", ignore_result=True)
def send_notification_email(notification_id: int) -> bool:
    """Send one notice's email, once: the row is claimed under a lock.

    A duplicate message (the outbox re-sent it) finds ``email_sent_at`` set and
    does nothing; a user who turned email off since gets none.
    """
    from .delivery import email_wanted

    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, email_sent_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        if email_wanted(row.user):
            link = f"{settings.MLTRL_SITE_URL.rstrip('/')}{row.url}" if row.url else ""
            send_mail(
                subject=f"[mltrl] {row.title}",
                message="\n\n".join(p for p in (row.body, link) if p),
                from_email=None,
                recipient_list=[row.user.email],
            )
        row.email_sent_at = timezone.now()
        row.save(update_fields=["email_sent_at"])
    return True


@shared_task(name="notifications.daily_digest", ignore_result=True)
def daily_digest() -> int:
    """Beat runs this daily: each reviewer hears of requests waiting on them too long."""
    from .digest import digest_send

    return digest_send()
