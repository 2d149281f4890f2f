"""Sending a check run's Celery message, and sending it again when it was lost.

The run row is the truth: a queued run with ``enqueued_at`` set had its message
sent at that time (or tried to). ``run_message_send_on_commit`` stamps the row
and sends after commit without ever raising into the caller; the outbox
dispatcher (``mltrl_site.outbox``) sends again the message of a run still
queued ``MLTRL_RUN_RESEND_AFTER_S`` later. A duplicate message is harmless: the
worker claims the run by compare-and-swap (``gates.engine``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mltrl_site.outbox import OutboxKind, send_after_commit, send_now

from .models import CheckRun, CheckRunStatus

OUTBOX_NAME = "check_runs"


def _send(run_id: int) -> None:
    from .tasks import run_checks  # tasks import the engine, which imports this module

    run_checks.delay(run_id)


def run_message_send_on_commit(run_id: int) -> None:
    """Stamp the run as enqueued now and send its message after the transaction commits."""
    CheckRun.objects.filter(pk=run_id).update(enqueued_at=timezone.now())
    send_after_commit(lambda: _send(run_id), what=f"check run {run_id}")


def run_message_is_stale(run: CheckRun, now: datetime | None = None) -> bool:
    """A queued run whose last message is older than the re-send age (probably lost)."""
    if run.status != CheckRunStatus.QUEUED:
        return False
    sent = run.enqueued_at or run.created_at
    age = timedelta(seconds=settings.MLTRL_RUN_RESEND_AFTER_S)
    return sent is None or (now or timezone.now()) - sent > age


def _waiting(cutoff: datetime) -> Iterable[int]:
    return (
        CheckRun.objects.filter(status=CheckRunStatus.QUEUED)
        .filter(Q(enqueued_at__lt=cutoff) | Q(enqueued_at__isnull=True, created_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _resend(run_id: int) -> bool:
    """Send again; stamp the row only once the broker took the message."""
    if not send_now(lambda: _send(run_id), what=f"check run {run_id}"):
        return False
    CheckRun.objects.filter(pk=run_id, status=CheckRunStatus.QUEUED).update(
        enqueued_at=timezone.now()
    )
    return True


CHECK_RUNS_OUTBOX = OutboxKind(
    name=OUTBOX_NAME,
    stale_after_s=lambda: settings.MLTRL_RUN_RESEND_AFTER_S,
    waiting=_waiting,
    resend=_resend,
)
