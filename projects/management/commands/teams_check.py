"""``manage.py teams_check [--repair]``: team groups and permission rows against the records.

Exits non-zero when anything drifted (see ``projects.team_sync``); with
``--repair`` fixes it in one audited transaction and exits 0.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.actors import system_actor
from projects.team_sync import drift_find, drift_repair


class Command(BaseCommand):
    help = (
        "Report drift between memberships / role grants and the team groups, and between "
        "project teams and guardian rows; --repair fixes it, on the audit record."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repair", action="store_true", help="fix the drift (audited)")
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="the superuser recorded as the repair's actor (default: system:operator)",
        )

    def handle(self, *args, repair: bool = False, actor: str | None = None, **options) -> None:
        who = None
        if actor:
            who = get_user_model().objects.filter(username=actor, is_active=True).first()
            if who is None or not who.is_superuser:
                raise CommandError(f"--actor {actor!r} is not an active superuser.")
        if repair:
            found = drift_repair(actor=who or system_actor("operator"))
            for line in found:
                self.stdout.write(f"REPAIRED {line}")
            self.stdout.write(self.style.SUCCESS(f"{len(found)} drift(s) repaired."))
            return
        found = drift_find().lines()
        for line in found:
            self.stderr.write(f"DRIFT {line}")
        if found:
            raise CommandError(f"{len(found)} drift(s) found; run with --repair to fix them.")
        self.stdout.write(
            self.style.SUCCESS("No drift: team groups and permission rows follow the records.")
        )
