"""Write services of the projects app: projects, levels, cards (teams: ``services_teams``).

Each service takes a required ``actor``, runs in one transaction, locks what it
changes, then checks permission through ``projects.permissions``, validates,
and writes an audit event in that transaction. Guardian permission rows are derived here from team
membership and role grants; nothing else writes them (the admin calls these).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction

from .audit import audit_record
from .cards import card_snapshot
from .level_stays import stay_open
from .levels import HIGHEST_LEVEL, LOWEST_LEVEL
from .models import (
    CardSection,
    MLTRLCard,
    Project,
    ProjectGroupObjectPermission,
    ProjectStatus,
    Team,
)
from .permissions import (
    SYSTEM_RECORDERS,
    Action,
    require,
    require_system,
    require_team_member,
)
from .repo_urls import branch_name_problem, validate_repository_url
from .services_teams import (  # noqa: F401  (re-exported: callers import services from here)
    _lock_team,
    membership_add,
    membership_maintainer_set,
    membership_remove,
    role_grant,
    role_revoke,
    team_create,
)
from .signals import card_changed
from .slugs import project_slug_problem

# Which team group receives which project permission.
OWNER_MEMBER_ACTIONS = (Action.VIEW, Action.CHANGE, Action.REQUEST_LEVEL_CHANGE)
REVIEWER_TEAM_MEMBER_ACTIONS = (Action.VIEW,)
REVIEWER_ACTIONS = (Action.VIEW, Action.SIGN_OFF, Action.WAIVE)


# --- projects ----------------------------------------------------------------------


def _project_permissions_sync(project: Project) -> None:
    """Make the project's group permission rows match its owning and reviewing teams."""
    perms = {
        p.codename: p.pk
        for p in Permission.objects.filter(
            content_type__app_label="projects", codename__in=[a.value for a in Action]
        )
    }
    wanted: set[tuple[int, int]] = set()
    owner = project.team
    wanted |= {(owner.members_group_id, perms[a.value]) for a in OWNER_MEMBER_ACTIONS}
    reviewing = [owner, *project.reviewer_teams.all()]
    for team in reviewing:
        wanted |= {(team.members_group_id, perms[a.value]) for a in REVIEWER_TEAM_MEMBER_ACTIONS}
        wanted |= {(team.reviewers_group_id, perms[a.value]) for a in REVIEWER_ACTIONS}
    existing = {
        (row.group_id, row.permission_id): row.pk
        for row in ProjectGroupObjectPermission.objects.filter(content_object=project)
    }
    stale = [pk for key, pk in existing.items() if key not in wanted]
    ProjectGroupObjectPermission.objects.filter(pk__in=stale).delete()
    ProjectGroupObjectPermission.objects.bulk_create(
        ProjectGroupObjectPermission(content_object=project, group_id=group_id, permission_id=perm)
        for group_id, perm in wanted - existing.keys()
    )


def _clean_repository(repository_url: str) -> str:
    return validate_repository_url(repository_url) if repository_url else ""


@transaction.atomic
def project_create(
    *,
    team: Team,
    slug: str,
    name: str,
    actor: Any,
    description: str = "",
    repository_url: str = "",
    default_branch: str = "main",
    reviewer_teams: Iterable[Team] = (),
    components: Iterable[Project] = (),
) -> Project:
    """Register a project at level 0 (higher entry levels go through an entry review).

    Members of the owning team (or an administrator) register projects.
    """
    team = _lock_team(team)
    require_team_member(actor, team)
    problem = project_slug_problem(slug)
    if problem:
        raise ValidationError({"slug": [problem]})
    if Project.objects.filter(slug=slug).exists():  # the unique index holds under a race
        raise ValidationError(
            {"slug": [f"A project called {slug!r} already exists; choose another short name."]}
        )
    project = Project(
        team=team,
        slug=slug,
        name=name,
        description=description,
        repository_url=_clean_repository(repository_url),
        default_branch=_clean_branch(default_branch),
    )
    project.full_clean()
    project.save()
    project.reviewer_teams.set(reviewer_teams)
    project.components.set(components)
    MLTRLCard.objects.create(project=project)
    _project_permissions_sync(project)
    created = audit_record(
        kind="project.created",
        actor=actor,
        project=project,
        payload={"team": team.slug, "level": project.level, "name": name},
    )
    stay_open(project=project, event=created)
    card_snapshot(project=project, reason="created", actor=actor)
    return project


def _clean_branch(branch: str) -> str:
    branch = (branch or "").strip()
    problem = branch_name_problem(branch)
    if problem:
        raise ValidationError(problem)
    return branch


EDITABLE_FIELDS = {"name", "description", "repository_url", "default_branch", "status"}


@transaction.atomic
def project_update(
    *,
    project: Project,
    actor: Any,
    reviewer_teams: Iterable[Team] | None = None,
    components: Iterable[Project] | None = None,
    **fields: Any,
) -> Project:
    """Change descriptive fields, reviewer teams or coupled components, on the record.

    Needs the change permission (owning-team members). Only what differs is
    written and audited: an update that changes nothing records nothing.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.CHANGE, project)
    if "repository_url" in fields:
        fields["repository_url"] = _clean_repository(fields["repository_url"])
    if "default_branch" in fields:
        fields["default_branch"] = _clean_branch(fields["default_branch"])
    if "status" in fields and fields["status"] not in ProjectStatus.values:
        raise ValidationError(f"Unknown status {fields['status']!r}.")
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if getattr(project, name) != value:
            changes[name] = {"from": getattr(project, name), "to": value}
            setattr(project, name, value)
    if changes:
        project.full_clean(exclude=["team", "slug"])
        project.save()
    if reviewer_teams is not None:
        teams = sorted({t.slug: t for t in reviewer_teams}.items())
        before = sorted(project.reviewer_teams.values_list("slug", flat=True))
        if [slug for slug, _ in teams] != before:
            project.reviewer_teams.set([t for _, t in teams])
            changes["reviewer_teams"] = {"from": before, "to": [slug for slug, _ in teams]}
            _project_permissions_sync(project)
    if components is not None:
        parts = sorted({p.slug: p for p in components}.items())
        if any(p.pk == project.pk for _, p in parts):
            raise ValidationError("A project cannot be its own component.")
        before = sorted(project.components.values_list("slug", flat=True))
        if [slug for slug, _ in parts] != before:
            project.components.set([p for _, p in parts])
            changes["components"] = {"from": before, "to": [slug for slug, _ in parts]}
    if changes:
        audit_record(kind="project.updated", actor=actor, project=project, payload=changes)
    return project


def project_level_apply(
    *,
    project: Project,
    to_level: int,
    actor: Any,
    reason: str,
    request_id: int | None = None,
    entry: bool = False,
    debrief: dict | None = None,
) -> Project:
    """Set the level of a project locked by the caller's transaction, on the record.

    Called by the review state machine when a gate holds; it has already checked
    the workflow rules (the gate's sign-offs are the authority for the change).
    ``actor`` is whoever made the gate hold; they must at least see the project.
    ``entry`` also moves the entry level (an entry review).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("project_level_apply must run inside the caller's transaction.")
    require(actor, Action.VIEW, project)
    if not LOWEST_LEVEL <= to_level <= HIGHEST_LEVEL:
        raise ValidationError(f"Level {to_level} is outside 0-9.")
    from_level = project.level
    project.level = to_level
    if entry:
        project.entry_level = to_level
    project.save(update_fields=["level", "entry_level", "updated_at"])
    if debrief:
        card = MLTRLCard.objects.select_for_update().get(project=project)
        card.debriefs = [
            *card.debriefs,
            {"from_level": from_level, "to_level": to_level, "request": request_id, **debrief},
        ]
        card.save(update_fields=["debriefs", "updated_at"])
    changed = audit_record(
        kind="level.changed",
        actor=actor,
        project=project,
        payload={
            "from_level": from_level,
            "to_level": to_level,
            "entry": entry,
            "request": request_id,
            "reason": reason,
        },
    )
    stay_open(project=project, event=changed)  # the portfolio's rollup, same transaction
    card_snapshot(project=project, reason=f"level {from_level} -> {to_level}", actor=actor)
    return project


def project_evidence_set(*, project: Project, level: int, commit_sha: str, actor: Any) -> None:
    """Store the evidence level of a project locked by the caller; audit when it moves.

    Evidence is what the checks found, so only the worker records it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("project_evidence_set must run inside the caller's transaction.")
    require_system(actor, SYSTEM_RECORDERS, "record evidence levels")
    if project.evidence_level == level:
        return
    previous = project.evidence_level
    project.evidence_level = level
    project.save(update_fields=["evidence_level", "updated_at"])
    audit_record(
        kind="evidence.changed",
        actor=actor,
        project=project,
        payload={"from_level": previous, "to_level": level, "commit": commit_sha},
    )


CARD_FIELDS = {
    "project_page",
    "requirements_doc",
    "vv_doc",
    "ethics_checklist_status",
    *(section.value for section in CardSection),
}


@transaction.atomic
def card_update(*, project: Project, actor: Any, **fields: str) -> MLTRLCard:
    """Edit the living MLTRL card, on the record (the audit event names what changed).

    Versions are frozen at level changes (``card_snapshot``), not at every edit.
    After the commit, ``card_changed`` tells reviews to re-evaluate the open
    request: a written section may be the last thing its gate waited for.
    """
    unknown = set(fields) - CARD_FIELDS
    if unknown:
        raise ValidationError(f"These card fields do not exist: {', '.join(sorted(unknown))}.")
    # Lock order as everywhere: the project, then what hangs off it.
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.CHANGE, project)
    card = MLTRLCard.objects.select_for_update().get(project=project)
    changed = sorted(name for name, value in fields.items() if getattr(card, name) != value)
    if not changed:
        return card
    for name in changed:
        setattr(card, name, fields[name])
    card.full_clean(exclude=["project", "debriefs"])
    card.save()
    audit_record(kind="card.updated", actor=actor, project=project, payload={"fields": changed})
    project_id = project.pk
    transaction.on_commit(lambda: card_changed.send(sender=MLTRLCard, project_id=project_id))
    return card
