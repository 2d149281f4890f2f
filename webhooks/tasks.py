"""Celery task of the webhooks app: one attempt at one delivery (it takes an id).

Time limits keep a worker from hanging on a receiver: the HTTP call has its own
overall deadline (``MLTRL_WEBHOOK_TIMEOUT_S``); these limits are the backstop.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="webhooks.deliver", ignore_result=True, soft_time_limit=120, time_limit=150)
def deliver(delivery_id: int) -> str | None:
    """Attempt the delivery; a duplicate message finds it taken or done and does nothing."""
    from .delivery import delivery_attempt

    return delivery_attempt(delivery_id)
