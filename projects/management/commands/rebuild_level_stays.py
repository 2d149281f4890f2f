"""``manage.py rebuild_level_stays``: recompute the level-stay rollup from the audit log.

The rollup (``projects.models.LevelStay``) is written in the transaction of
every level change; this rebuilds it (idempotently) after a bulk load, a
restore, or to check it: ``--check`` reports projects whose stored stays differ
from the audit log without writing, and exits 1 if any do.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from projects.level_stays import stays_differ, stays_rebuild


class Command(BaseCommand):
    help = "Rebuild the level-stay rollup of the portfolio from the audit events."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only compare; exit 1 on a difference."
        )

    def handle(self, *args, check: bool, **options) -> None:
        if check:
            differ = stays_differ()
            if differ:
                raise CommandError(
                    f"{len(differ)} project(s) have stays that differ from the audit log "
                    f"(first ids: {', '.join(map(str, differ[:10]))})."
                )
            self.stdout.write("Level stays match the audit log.")
            return
        written = stays_rebuild()
        self.stdout.write(f"Rebuilt {written} level stays from the audit log.")
