"""Pointing this test process's Celery app at another broker for a while.

The app caches its connection pool and producer pool; both are dropped on the
way in and out so the next message goes to the broker named here, and the
messages after it to the configured broker again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def _reset_pools(app) -> None:
    # Only drop the references: kombu keeps producer pools in a registry keyed by
    # connection, and a pool closed here would be handed back for the old URL later.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Send this process's Celery messages to ``url`` for real (not eagerly)."""
    from mltrl_site.celery import app

    keys = ("broker_url", "broker_read_url", "broker_write_url", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=url, broker_read_url=url, broker_write_url=url)
    app.conf.task_always_eager = False
    _reset_pools(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _reset_pools(app)
