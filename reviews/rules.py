"""The workflow rules a request must follow (docs/workflow.md), with the sentences users see.

Pure checks on locked rows, called by the services before anything is written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from projects.cards import DEBRIEF_FIELDS
from projects.levels import HIGHEST_LEVEL
from projects.models import AuditEvent, Project, ProjectStatus

from .models import RequestKind, SwitchbackKind


def clean_debrief(debrief: dict | None) -> dict:
    if debrief is None:
        return {}
    if not isinstance(debrief, dict) or not all(
        isinstance(v, str | None) for v in debrief.values()
    ):
        raise ValidationError("A debrief is a set of text fields.")
    debrief = {k: (v or "").strip() for k, v in debrief.items()}
    allowed = {key for key, _ in DEBRIEF_FIELDS}
    unknown = set(debrief) - allowed
    if unknown:
        raise ValidationError(
            f"Unknown debrief fields: {', '.join(sorted(unknown))} "
            f"(use {', '.join(sorted(allowed))})."
        )
    return {k: v for k, v in debrief.items() if v}


def require_active(project: Project) -> None:
    if project.status != ProjectStatus.ACTIVE:
        raise ValidationError(
            f"{project.name} is {project.get_status_display().lower()}; "
            "only active projects change level."
        )


def check_level_rules(
    project: Project, kind: str, to_level: int, switchback_kind: str, reason: str
) -> None:
    """The workflow rules of docs/workflow.md, each with the sentence users see."""
    require_active(project)
    if kind == RequestKind.ADVANCE:
        if project.level >= HIGHEST_LEVEL:
            raise ValidationError("Level 9 is the highest level; there is nothing to advance to.")
        if to_level != project.level + 1:
            raise ValidationError(
                f"No skipping: {project.name} is at level {project.level}, so it can only "
                f"advance to {project.level + 1}."
            )
    elif kind == RequestKind.SWITCHBACK:
        if switchback_kind not in SwitchbackKind.values:
            raise ValidationError(
                f"Say which kind of switchback this is: {', '.join(SwitchbackKind.values)}."
            )
        if not reason:
            raise ValidationError("A switchback needs a reason.")
        if to_level >= project.level:
            raise ValidationError(
                f"A switchback goes down: {project.name} is at level {project.level}."
            )
        if to_level < project.entry_level:
            raise ValidationError(
                f"{project.name} entered at level {project.entry_level} and never passed "
                f"through level {to_level}; a switchback can only go to a level it passed through."
            )
    elif kind == RequestKind.ENTRY:
        never_moved = not AuditEvent.objects.filter(project=project, kind="level.changed").exists()
        if project.level != 0 or project.entry_level != 0 or not never_moved:
            raise ValidationError(
                "An entry review registers a new project at a higher level; "
                f"{project.name} has already moved through levels."
            )
        if not 1 <= to_level <= HIGHEST_LEVEL:
            raise ValidationError("The entry level must be between 1 and 9.")
        if not reason:
            raise ValidationError(
                "An entry review needs a reason (where the technology comes from)."
            )
    else:
        raise ValidationError(f"Unknown request kind {kind!r}.")
