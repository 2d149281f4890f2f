"""Reads behind the project pages: the filtered list, one project's page, teams.

Every project queryset starts at ``projects_for`` (the permission entry point);
the page of one project comes from ``project_for`` (404 outside the user's scope).
Each function costs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Least

from .ladder import Ladder, ladder_build
from .levels import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL, Phase
from .models import (
    AuditEvent,
    CardVersion,
    Membership,
    Project,
    ProjectStatus,
    RoleGrant,
    Team,
)
from .permissions import Action, projects_for
from .query_params import whole_number
from .selectors import project_system_level
from .timeline import TIMELINE_FILTERS, TimelineEntry, timeline_entry

GAP_CHOICES = {
    "ahead": "Evidence above granted (ready to ask)",
    "behind": "Evidence below granted (checks lag)",
    "none": "Evidence equals granted",
    "unknown": "No evidence yet",
}


@dataclass(frozen=True)
class ProjectFilters:
    """The project list's query string, parsed; bad values are dropped, never a 500."""

    team: str = ""
    level: int | None = None
    phase: str = ""
    status: str = ""
    gap: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query: Any) -> ProjectFilters:
        return cls(
            team=query.get("team", "").strip()[:50],
            level=whole_number(query.get("level", ""), low=LOWEST_LEVEL, high=HIGHEST_LEVEL),
            phase=query.get("phase", "") if query.get("phase", "") in Phase.values else "",
            status=query.get("status", "")
            if query.get("status", "") in ProjectStatus.values
            else "",
            gap=query.get("gap", "") if query.get("gap", "") in GAP_CHOICES else "",
            q=query.get("q", "").strip()[:100],
        )

    @property
    def active(self) -> bool:
        return any((self.team, self.level is not None, self.phase, self.status, self.gap, self.q))


def _with_system_level(qs: QuerySet) -> QuerySet:
    lowest = (
        Project.components.through.objects.filter(from_project=OuterRef("pk"))
        .values("from_project")
        .annotate(m=Min("to_project__level"))
        .values("m")
    )
    return qs.annotate(
        component_min=Subquery(lowest, output_field=IntegerField()),
        system_level=Least(
            F("level"),
            Coalesce(F("component_min"), F("level"), output_field=IntegerField()),
            output_field=IntegerField(),
        ),
    )


def projects_list(user: Any, filters: ProjectFilters) -> QuerySet[Project]:
    """The projects ``user`` may see, filtered; each row carries its system level."""
    qs = projects_for(user, Action.VIEW).select_related("team")
    if filters.team:
        qs = qs.filter(team__slug=filters.team)
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.phase:
        qs = qs.filter(level__in=[i.number for i in LEVELS if i.phase == filters.phase])
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.gap == "ahead":
        qs = qs.filter(evidence_level__gt=F("level"))
    elif filters.gap == "behind":
        qs = qs.filter(evidence_level__lt=F("level"))
    elif filters.gap == "none":
        qs = qs.filter(evidence_level=F("level"))
    elif filters.gap == "unknown":
        qs = qs.filter(evidence_level__isnull=True)
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q)
            | Q(slug__icontains=filters.q)
            | Q(description__icontains=filters.q)
        )
    return _with_system_level(qs).order_by("name", "pk")


def teams_for_filter() -> QuerySet[Team]:
    """The list's team filter: every team that owns a project.

    Not narrowed to the teams whose projects the user sees: asking that of every
    team tests visibility project by project, which grows with the number of
    projects (docs/performance.md). Nothing is revealed by it: the team directory
    already shows every signed-in user each team and its number of projects, and
    filtering by a team whose projects one may not see lists nothing.
    """
    return Team.objects.filter(Exists(Project.objects.filter(team_id=OuterRef("pk")))).order_by(
        "name"
    )


def project_ladder(project: Project) -> Ladder:
    system = project_system_level(project)
    return ladder_build(
        level=project.level,
        evidence_level=project.evidence_level,
        system_level=system.level,
        entry_level=project.entry_level,
        limited_by=tuple(system.limited_by),
    )


def project_timeline(
    project: Project, *, which: str = "all", limit: int = 30
) -> list[TimelineEntry]:
    """The newest events of the project's history, filtered by category."""
    _, kinds = TIMELINE_FILTERS.get(which, TIMELINE_FILTERS["all"])
    events = AuditEvent.objects.filter(project=project).select_related("actor", "project")
    if kinds is not None:
        events = events.filter(kind__in=kinds)
    return [timeline_entry(e) for e in events.order_by("-seq")[:limit]]


def card_versions(project: Project) -> list[CardVersion]:
    """Every frozen version of the card, newest first, without their content."""
    return list(
        CardVersion.objects.filter(project=project)
        .defer("content")
        .select_related("created_by")
        .order_by("-number")
    )


def card_version_get(project: Project, number: int) -> CardVersion | None:
    return CardVersion.objects.filter(project=project, number=number).first()


# --- teams ----------------------------------------------------------------------------


def teams_list() -> QuerySet[Team]:
    """The team directory (any signed-in user; names and people, no project data)."""
    return Team.objects.annotate(
        member_count=Count("memberships", distinct=True),
        project_count=Count("projects", distinct=True),
    ).order_by("name")


@dataclass(frozen=True)
class TeamMember:
    username: str
    full_name: str
    roles: tuple[str, ...]
    since: Any


def team_members(team: Team) -> list[TeamMember]:
    """Members with the roles they hold in this team (two queries)."""
    memberships = (
        Membership.objects.filter(team=team).select_related("user").order_by("user__username")
    )
    roles: dict[int, list[str]] = {}
    for user_id, key in RoleGrant.objects.filter(team=team).values_list("user_id", "role__key"):
        roles.setdefault(user_id, []).append(key)
    return [
        TeamMember(
            username=m.user.get_username(),
            full_name=m.user.get_full_name(),
            roles=tuple(sorted(roles.get(m.user_id, []))),
            since=m.created_at,
        )
        for m in memberships
    ]


def team_projects(user: Any, team: Team) -> dict[str, list[Project]]:
    """The team's projects the user may see: those it owns and those it reviews."""
    visible = projects_for(user, Action.VIEW)
    return {
        "owned": list(visible.filter(team=team).order_by("name")),
        "reviewed": list(
            visible.filter(reviewer_teams=team).select_related("team").order_by("name")
        ),
    }
