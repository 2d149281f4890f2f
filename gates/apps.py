from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _install_default_policies(sender, **kwargs) -> None:
    from django.db import transaction

    from projects.actors import system_actor

    from .defaults import policies_install

    with transaction.atomic():
        policies_install(actor=system_actor("migrate"))


class GatesConfig(AppConfig):
    name = "gates"
    verbose_name = "Gates and checks"

    def ready(self) -> None:
        # Installed after migrate and after test flushes; admin edits are never overwritten.
        post_migrate.connect(_install_default_policies, sender=self)
        # Queued runs whose message was lost are sent again by the outbox dispatcher.
        from mltrl_site.outbox import outbox_register

        from .run_outbox import CHECK_RUNS_OUTBOX

        outbox_register(CHECK_RUNS_OUTBOX)
