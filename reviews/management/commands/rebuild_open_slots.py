"""``manage.py rebuild_open_slots``: recompute the bottleneck rollup (``OpenSlot``).

Beat runs the same rebuild every ``MLTRL_OPEN_SLOTS_PERIOD_S`` seconds
(``reviews.rebuild_open_slots``); see ``reviews/open_slots.py``.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reviews.open_slots import open_slots_rebuild


class Command(BaseCommand):
    help = "Recompute the empty sign-off places of every open request (portfolio)."

    def handle(self, *args, **options) -> None:
        written = open_slots_rebuild()
        self.stdout.write(f"Rebuilt the open requests' empty sign-off places ({written} rows).")
