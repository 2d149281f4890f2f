"""The Celery application; configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrl_site.settings")

app = Celery("mltrl")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="mltrl.outbox_dispatch", ignore_result=True)
def outbox_dispatch_task() -> dict[str, int]:
    """Beat runs this every ``MLTRL_OUTBOX_PERIOD_S``: re-send lost messages (see outbox.py)."""
    from .outbox import outbox_dispatch

    return outbox_dispatch()
