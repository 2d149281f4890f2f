"""Read-only queries over projects: system level, level history, passed levels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min

from .models import AuditEvent, Project
from .query_params import moment_in_range


@dataclass(frozen=True)
class SystemLevel:
    level: int
    limited_by: list[str]  # slugs of components below the project's own level


def project_system_level(project: Project) -> SystemLevel:
    """The lowest level among the project and the components it is coupled to."""
    lowest = project.components.aggregate(m=Min("level"))["m"]
    if lowest is None or lowest >= project.level:
        return SystemLevel(project.level, [])
    limited_by = sorted(
        project.components.filter(level__lt=project.level).values_list("slug", flat=True)
    )
    return SystemLevel(lowest, limited_by)


def project_level_at(project: Project, when: datetime) -> int | None:
    """The project's level at ``when``, answered from its audit events (None: not yet created).

    Any aware moment will do: one beyond what a database stores (year 9999 in a
    time zone west of UTC) is read at the last moment it does store.
    """
    events = AuditEvent.objects.filter(
        project=project,
        kind__in=["project.created", "level.changed"],
        created_at__lte=moment_in_range(when),
    ).order_by("-seq")
    last = events.values("kind", "payload").first()
    if last is None:
        return None
    if last["kind"] == "level.changed":
        return int(last["payload"]["to_level"])
    return int(last["payload"]["level"])
