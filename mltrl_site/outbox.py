"""The outbox: database rows are the truth, the broker only rings the bell.

A row that needs a worker (a queued check run; later a notification or a
webhook delivery) is written first and its Celery message sent after the
transaction commits. A message can still be lost: the broker is down at that
moment, or restarts without persistence while the message waits. So:

- ``send_after_commit`` never lets a broker error reach the caller: the row is
  committed, the error is logged, and the row simply waits;
- each app registers an ``OutboxKind``: how to find its rows still waiting past
  an age, and how to send one row's message again;
- ``outbox_dispatch`` (a Celery beat task, ``mltrl.outbox_dispatch``) walks every
  kind and re-sends what waits too long.

Re-sending must be idempotent on the receiving side: a check run is claimed by
compare-and-swap, so a duplicate message finds the run taken or finished and
does nothing. See docs/deployment.md ("The outbox dispatcher").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxKind:
    """One kind of row that waits for a worker.

    ``stale_after_s`` returns how long a row may wait before its message is
    sent again (read at each pass, so settings overrides apply);
    ``waiting(cutoff)`` returns the ids of rows whose message was last sent
    before ``cutoff``; ``resend(row_id)`` sends that row's message again and
    records when (so the next pass leaves it alone for another period).
    """

    name: str
    stale_after_s: Callable[[], float]
    waiting: Callable[[datetime], Iterable[int]]
    resend: Callable[[int], bool]


_KINDS: dict[str, OutboxKind] = {}


def outbox_register(kind: OutboxKind) -> None:
    """Register (or replace, on a reload) a kind; apps call this from ``ready()``."""
    _KINDS[kind.name] = kind


def outbox_kinds() -> list[OutboxKind]:
    return list(_KINDS.values())


def send_now(send: Callable[[], object], *, what: str) -> bool:
    """Send one message; on any broker error log it and return False (the row waits).

    With ``task_always_eager`` (tests, no broker) sending runs the task itself,
    so its exceptions are the task's and are left to propagate.
    """
    from celery import current_app

    if current_app.conf.task_always_eager:
        send()
        return True
    try:
        send()
    except Exception:  # kombu OperationalError, redis errors, DNS...: all mean "not sent"
        logger.warning(
            "could not send the message for %s; the outbox dispatcher will send it again",
            what,
            exc_info=True,
        )
        return False
    return True


def send_after_commit(send: Callable[[], object], *, what: str) -> None:
    """Send a message once the current transaction commits, never raising into the caller."""
    transaction.on_commit(lambda: send_now(send, what=what))


def outbox_dispatch(now: datetime | None = None) -> dict[str, int]:
    """Re-send the message of every row waiting past its kind's age. Returns counts per kind.

    One kind failing (its query, or the broker) does not stop the others.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for kind in outbox_kinds():
        cutoff = now - timedelta(seconds=kind.stale_after_s())
        sent = 0
        try:
            for row_id in list(kind.waiting(cutoff)):
                if kind.resend(row_id):
                    sent += 1
        except Exception:
            logger.exception("outbox dispatch of %s failed; the next pass tries again", kind.name)
        if sent:
            logger.info("outbox: sent %d waiting %s message(s) again", sent, kind.name)
        counts[kind.name] = sent
    return counts
