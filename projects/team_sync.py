"""Drift between the team records and what they derive: find it, and repair it.

Team groups and project permission rows are derived (docs/architecture.md, "From
teams and roles to guardian rows"): a team's members group holds exactly its
members, its reviewers group exactly the holders of a role in it, neither holds
a global permission, project rows are what ``project_permissions_sync`` makes of
the project's teams, and no permission row names a user directly. Anything else
is drift: a raw write, a restored backup, an edit outside the services.
``manage.py teams_check`` reports it; ``--repair`` fixes it here, audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .audit import audit_record
from .models import (
    Membership,
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    RoleGrant,
    Team,
)
from .services import _project_permissions_sync as project_permissions_sync


@dataclass
class Drift:
    """Everything that does not follow from the records, one sentence per finding."""

    groups: list[tuple[Any, set[int], set[int]]] = field(default_factory=list)
    global_perms: list[Any] = field(default_factory=list)
    user_rows: list[ProjectUserObjectPermission] = field(default_factory=list)
    project_rows: dict[int, tuple[set, set]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.groups or self.global_perms or self.user_rows or self.project_rows)

    def lines(self) -> list[str]:
        names = dict(get_user_model().objects.values_list("pk", "username"))
        out = []
        for group, missing, extra in self.groups:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(sorted(names[u] for u in missing)))
            if extra:
                parts.append("extra " + ", ".join(sorted(names[u] for u in extra)))
            out.append(f"group {group.name}: {'; '.join(parts)}")
        for group in self.global_perms:
            perms = sorted(
                f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
            )
            out.append(f"group {group.name} holds global permissions: {', '.join(perms)}")
        for row in self.user_rows:
            out.append(
                f"user row: {row.user.get_username()} holds {row.permission.codename} on "
                f"{row.content_object.slug} (permissions come only from team groups)"
            )
        slugs = dict(Project.objects.filter(pk__in=self.project_rows).values_list("pk", "slug"))
        for project_id, (missing, extra) in sorted(self.project_rows.items()):
            parts = [f"missing {len(missing)} row(s)"] if missing else []
            parts += [f"extra {len(extra)} row(s)"] if extra else []
            out.append(f"project {slugs[project_id]}: group permission rows {', '.join(parts)}")
        return out


def _group_rows() -> set[tuple[int, int, int]]:
    return set(
        ProjectGroupObjectPermission.objects.values_list(
            "content_object_id", "group_id", "permission_id"
        )
    )


def _derived_project_rows() -> tuple[set, set]:
    """Rows now, and the rows ``project_permissions_sync`` would leave (not kept)."""
    with transaction.atomic():
        before = _group_rows()
        savepoint = transaction.savepoint()
        for project in Project.objects.prefetch_related("reviewer_teams").select_related("team"):
            project_permissions_sync(project)
        after = _group_rows()
        transaction.savepoint_rollback(savepoint)
    return before, after


def drift_find() -> Drift:
    """Compare team groups and permission rows with memberships, role grants and teams."""
    drift = Drift()
    members: dict[int, set[int]] = {}
    for team_id, user_id in Membership.objects.values_list("team_id", "user_id"):
        members.setdefault(team_id, set()).add(user_id)
    reviewers: dict[int, set[int]] = {}
    for team_id, user_id in RoleGrant.objects.values_list("team_id", "user_id"):
        reviewers.setdefault(team_id, set()).add(user_id)
    teams = Team.objects.select_related("members_group", "reviewers_group").prefetch_related(
        "members_group__user_set", "reviewers_group__user_set"
    )
    for team in teams:
        for group, wanted in (
            (team.members_group, members.get(team.pk, set())),
            (team.reviewers_group, reviewers.get(team.pk, set())),
        ):
            actual = {u.pk for u in group.user_set.all()}
            if actual != wanted:
                drift.groups.append((group, wanted - actual, actual - wanted))
            if group.permissions.exists():
                drift.global_perms.append(group)
    drift.user_rows = list(
        ProjectUserObjectPermission.objects.select_related("user", "permission", "content_object")
    )
    before, after = _derived_project_rows()
    for project_id, group_id, perm_id in after - before:
        drift.project_rows.setdefault(project_id, (set(), set()))[0].add((group_id, perm_id))
    for project_id, group_id, perm_id in before - after:
        drift.project_rows.setdefault(project_id, (set(), set()))[1].add((group_id, perm_id))
    return drift


@transaction.atomic
def drift_repair(*, actor: Any) -> list[str]:
    """Make the derived groups and rows follow the records again, on the record.

    Locks every team (memberships and grants are written under their team), then
    repairs what ``drift_find`` reports and writes one ``teams.repaired`` event
    (org chain) and one ``permissions.repaired`` event per project it touched.
    Returns the findings it repaired.
    """
    list(Team.objects.select_for_update().order_by("pk"))
    drift = drift_find()
    if not drift:
        return []
    found = drift.lines()
    for group, missing, extra in drift.groups:
        group.user_set.add(*missing)
        group.user_set.remove(*extra)
    for group in drift.global_perms:
        group.permissions.clear()
    ProjectUserObjectPermission.objects.filter(pk__in=[r.pk for r in drift.user_rows]).delete()
    if drift.groups or drift.global_perms or drift.user_rows:
        audit_record(
            kind="teams.repaired",
            actor=actor,
            payload={"by": "manage.py teams_check --repair", "found": found},
        )
    groups = dict(Group.objects.values_list("pk", "name"))
    perms = dict(Permission.objects.values_list("pk", "codename"))

    def named(rows: set) -> list[str]:
        return sorted(f"{groups[g]} {perms[p]}" for g, p in rows)

    for project in Project.objects.filter(pk__in=drift.project_rows).select_related("team"):
        project_permissions_sync(project)
        missing, extra = drift.project_rows[project.pk]
        audit_record(
            kind="permissions.repaired",
            actor=actor,
            project=project,
            payload={
                "by": "manage.py teams_check --repair",
                "added": named(missing),
                "removed": named(extra),
            },
        )
    return found
