"""A rollup of the level events: each stay of a project at a level.

The audit log is the record (``project.created`` opens a stay at level 0, each
``level.changed`` closes the open stay and opens one at its ``to_level``); this
table holds the same stays in narrow, indexed rows so the portfolio's funnel,
time in level and trend read one row per stay instead of a window over the
audit events' JSON. Written in the transaction of the level change
(``projects.level_stays``) and rebuilt from the audit log, idempotently, by
``manage.py rebuild_level_stays``.
"""

from __future__ import annotations

from django.db import models

from .project import Project


class LevelStay(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="level_stays")
    level = models.PositiveSmallIntegerField()
    # The highest level the project held up to and including this stay (the funnel).
    reached = models.PositiveSmallIntegerField()
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)  # NULL: the project's current stay
    event_seq = models.PositiveBigIntegerField()  # the audit event that opened the stay

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_seq"], name="levelstay_unique_event"),
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(left_at__isnull=True),
                name="levelstay_one_open_per_project",
            ),
        ]
        indexes = [models.Index(fields=["left_at", "level"], name="levelstay_left_level")]

    def __str__(self) -> str:
        return f"{self.project_id} at {self.level} from {self.entered_at:%Y-%m-%d}"
