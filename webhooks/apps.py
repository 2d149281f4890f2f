"""The webhooks app: subscriptions and signed deliveries of project events to outside URLs.

It sits above ``reviews`` in the layering and hears of events through the audit
record (``webhooks.receivers``); nothing below imports it.
"""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self) -> None:
        from mltrl_site.outbox import outbox_register

        from . import receivers  # noqa: F401  (connects to the audit record)
        from .delivery import WEBHOOKS_OUTBOX

        outbox_register(WEBHOOKS_OUTBOX)
