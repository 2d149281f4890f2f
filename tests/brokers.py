"""Pointing this test process's Celery app at another broker for a while.

The app caches its connection pool and producer pool; both are dropped on the
way in and out so the next message goes to the broker named here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def _reset_pools(app) -> None:
    pool, app._pool = app._pool, None
    if pool is not None:
        pool.force_close_all()
    producers = app.amqp._producer_pool
    app.amqp._producer_pool = None
    if producers is not None:
        producers.force_close_all()


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Send this process's Celery messages to ``url`` for real (not eagerly)."""
    from mltrl_site.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    _reset_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _reset_pools(app)
