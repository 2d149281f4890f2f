"""``manage.py seed_portfolio --projects 10000``: a large organisation with history.

See ``portfolio/seeding/`` for what is written and how. A progress bar goes to
stderr; the summary to stdout. Check the audit chains afterwards with
``manage.py verify_audit``.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from portfolio.seeding import Seeder


class Command(BaseCommand):
    help = "Seed a large organisation with history for the portfolio (demos, benchmarks)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--projects", type=int, default=1000)
        parser.add_argument("--teams", type=int, default=0, help="Default: one per 50 projects.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, projects: int, teams: int, seed: int, **options) -> None:
        if not 1 <= projects <= 200_000:
            raise CommandError("--projects must be between 1 and 200000.")
        teams = teams or max(1, projects // 50)
        started = time.monotonic()
        total = projects

        def progress(done: int) -> None:
            width = 40
            filled = int(width * min(done + teams, total) / total)
            self.stderr.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] {done + teams}/{total}", ending=""
            )
            self.stderr.flush()

        counts = Seeder(projects=projects, teams=teams, seed=seed, progress=progress).run()
        self.stderr.write("")
        self.stdout.write(
            f"Seeded {counts['projects']} projects in bulk (plus {teams} through the services), "
            f"{counts['events']} audit events, {counts['requests']} requests, "
            f"{counts['runs']} check runs in {time.monotonic() - started:.1f} s."
        )
