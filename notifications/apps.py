"""The notifications app: in-app notices and their emails, above ``reviews`` in the layering."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        from mltrl_site.outbox import outbox_register

        from . import receivers  # noqa: F401  (connects to the audit record)
        from .delivery import NOTIFICATIONS_OUTBOX

        outbox_register(NOTIFICATIONS_OUTBOX)
