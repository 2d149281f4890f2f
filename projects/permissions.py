"""The one permission entry point.

Every queryset of projects (and of anything hanging off a project) that a user
sees comes from here. Object permissions are django-guardian rows on the direct
foreign-key tables, granted to team groups (see ``projects.services``); a global
``projects.view_project`` permission (portfolio managers) widens *viewing* only.

Views call ``project_for``: a project outside the user's scope answers 404, a
visible project the user may not act on answers 403.

Organisation-level rights live here too: who administers (teams, gate
policies), who manages a team's members and roles (its maintainers), and what
each named system actor (``projects.actors``) may do.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from .models import (
    Membership,
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    Team,
)


class Action(StrEnum):
    """Named workflow verbs; each is a permission codename on Project."""

    VIEW = "view_project"
    CHANGE = "change_project"
    REQUEST_LEVEL_CHANGE = "request_level_change"
    SIGN_OFF = "sign_off"
    WAIVE = "waive_check"


# The refusal of each action, saying who may (the 403's message everywhere).
DENIED: dict[Action, str] = {
    Action.VIEW: "You may not see this project.",
    Action.CHANGE: "You may not change this project: that is for its owning team's members.",
    Action.REQUEST_LEVEL_CHANGE: (
        "You may not act for this project (open or change its level-change requests, post "
        "its CI results, re-run its checks): that is for its owning team's members."
    ),
    Action.SIGN_OFF: (
        "You may not sign off on this project's requests: that takes a review role in one "
        "of its reviewing teams."
    ),
    Action.WAIVE: (
        "You may not waive this project's checks: that takes a review role in one of its "
        "reviewing teams."
    ),
}

SYSTEM_PREFIX = "system:"

# What each named system actor may do on projects. None of them ever signs off,
# waives or edits a project: those stay with people (docs/architecture.md).
SYSTEM_ACTIONS: dict[str, frozenset[Action]] = {
    # Celery worker: queues and records check runs, follows a branch head onto the
    # request, re-evaluates requests after new results or card edits.
    "worker": frozenset({Action.VIEW, Action.REQUEST_LEVEL_CHANGE}),
    # Celery beat: queues the scheduled monitoring runs.
    "beat": frozenset({Action.VIEW, Action.REQUEST_LEVEL_CHANGE}),
    # CI evidence posted without a token user: results and pushes.
    "ci": frozenset({Action.VIEW, Action.REQUEST_LEVEL_CHANGE}),
    # migrate (post_migrate): installs the default gate policies; touches no project.
    "migrate": frozenset(),
    # operator: repair commands run from a shell (``teams_check --repair``) when no
    # superuser is named; it repairs derived rows and acts on no project.
    "operator": frozenset(),
}
# System actors that may install and publish gate policies (nothing else).
SYSTEM_POLICY_ADMINS = frozenset({"migrate"})
# System actors allowed to store completed check runs and evidence levels.
SYSTEM_RECORDERS = frozenset({"worker"})


def system_actor_name(user: Any) -> str | None:
    """The name of a system actor (``system:<name>``, inactive, no password), else None.

    A person cannot hold such a username: Django's username validator refuses
    the colon, so only ``projects.actors.system_actor`` creates them.
    """
    username = getattr(user, "username", "") or ""
    if not username.startswith(SYSTEM_PREFIX) or getattr(user, "is_active", True):
        return None
    name = username.removeprefix(SYSTEM_PREFIX)
    if name not in SYSTEM_ACTIONS or user.has_usable_password():
        return None
    return name


def _has_global(user: Any, action: Action) -> bool:
    return action is Action.VIEW and user.has_perm(f"projects.{action.value}")


def projects_for(
    user: Any, action: Action = Action.VIEW, queryset: QuerySet | None = None
) -> QuerySet:
    """Projects on which ``user`` may perform ``action``, as one filterable queryset."""
    qs = queryset if queryset is not None else Project.objects.all()
    system = system_actor_name(user)
    if system is not None:
        return qs if action in SYSTEM_ACTIONS[system] else qs.none()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or _has_global(user, action):
        return qs
    if action is Action.VIEW:
        return qs.filter(_visible_by_team(user))
    direct = ProjectUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=action.value
    )
    via_group = ProjectGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"),
        group__user=user,
        permission__codename=action.value,
    )
    return qs.filter(Exists(direct) | Exists(via_group))


def _visible_by_team(user: Any) -> Q:
    """Viewing, answered from the teams the guardian rows are derived from.

    ``_project_permissions_sync`` grants ``view_project`` to the members group and
    the reviewers group of the owning team and of every reviewing team, and to
    nobody else (docs/architecture.md, "From teams and roles to guardian rows"). So
    a user sees a project exactly when its owning team, or one of its reviewer
    teams, is a team whose members or reviewers group holds the user. Stated on
    the project's own ``team_id`` and on the small set of the user's teams, the
    filter lets PostgreSQL walk the list's (name, pk) index and stop after one
    page, instead of testing permission rows of every visible project
    (docs/performance.md). ``tests/projects/test_permissions_view.py`` checks the
    two answers agree for every user and project.
    """
    mine = Team.objects.filter(Q(members_group__user=user) | Q(reviewers_group__user=user))
    reviewed = Project.reviewer_teams.through.objects.filter(
        project_id=OuterRef("pk"), team_id__in=mine.values("pk")
    )
    return Q(team_id__in=mine.values("pk")) | Q(Exists(reviewed))


def requests_reachable(user: Any, requests: QuerySet, projects: QuerySet | None = None) -> QuerySet:
    """The level-change requests (``requests``, a queryset of them) ``user`` may read and
    withdraw: those on projects they may view (``projects``, by default
    ``projects_for(user)``), and those they opened themselves, also after losing
    access to the project (left the owning team), so that nothing stays open in their
    name (docs/workflow.md). Only reading and withdrawing go through here; every
    other action on a request needs the project permission."""
    visible = projects if projects is not None else projects_for(user)
    person = (
        system_actor_name(user) is None
        and user is not None
        and user.is_authenticated
        and user.is_active
    )
    mine = Q(requester_id=user.pk) if person else Q(pk__in=[])
    return requests.filter(Q(project__in=visible) | mine)


def user_can(user: Any, action: Action, project: Project) -> bool:
    """Whether ``user`` may perform ``action`` on ``project`` (one query)."""
    return projects_for(user, action).filter(pk=project.pk).exists()


def project_for(user: Any, action: Action = Action.VIEW, **lookup: Any) -> Project:
    """Fetch a project for an action: 404 when it is not visible, 403 when not allowed."""
    try:
        project = projects_for(user, Action.VIEW).get(**lookup)
    except Project.DoesNotExist:
        raise Http404("No such project.") from None
    if action is not Action.VIEW and not user_can(user, action, project):
        raise PermissionDenied(DENIED[action])
    return project


def require(user: Any, action: Action, project: Project) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may perform ``action`` on ``project``."""
    if not user_can(user, action, project):
        raise PermissionDenied(DENIED[action])


def _denied(message: str) -> PermissionDenied:
    return PermissionDenied(message)


def is_admin(user: Any) -> bool:
    """An active superuser: the organisation's administrator."""
    return bool(user is not None and user.is_active and user.is_superuser)


def require_admin(user: Any, what: str, *, system: frozenset[str] = frozenset()) -> None:
    """Raise ``PermissionDenied`` unless ``user`` is an administrator (or one of the
    named ``system`` actors, where the caller allows some)."""
    if not (is_admin(user) or system_actor_name(user) in system):
        raise _denied(f"Only an administrator can {what}.")


def is_team_maintainer(user: Any, team: Any) -> bool:
    """Whether ``user`` is an active member of ``team`` flagged as its maintainer."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(team=team, user=user, is_maintainer=True).exists()


def require_team_manager(user: Any, team: Any) -> None:
    """Members and roles of a team are managed by its maintainers or an administrator."""
    if not (is_admin(user) or is_team_maintainer(user, team)):
        raise _denied(
            f"Only a maintainer of {team.name} or an administrator can manage its "
            "members and roles."
        )


def require_team_member(user: Any, team: Any) -> None:
    """Projects are registered by members of the owning team (or an administrator)."""
    if is_admin(user):
        return
    if (
        user is not None
        and user.is_authenticated
        and user.is_active
        and Membership.objects.filter(team=team, user=user).exists()
    ):
        return
    raise _denied(f"Only members of {team.name} can register projects for it.")


def require_system(user: Any, names: frozenset[str], what: str) -> None:
    """Raise ``PermissionDenied`` unless ``user`` is one of the named system actors."""
    if system_actor_name(user) not in names:
        raise _denied(f"Only the system ({', '.join(sorted(names))}) can {what}.")


# --- webhook subscriptions (docs/api.md "Webhooks out") ----------------------------
# A project's subscriptions are managed (and read, with their delivery logs) by
# whoever may change the project; a team's, which report every project the team
# owns, by its maintainers and administrators, like its members and roles.


def webhook_projects(user: Any) -> QuerySet:
    """Projects whose webhook subscriptions ``user`` may manage."""
    return projects_for(user, Action.CHANGE)


def webhook_teams(user: Any) -> QuerySet:
    """Teams whose webhook subscriptions ``user`` may manage."""
    if is_admin(user):
        return Team.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user, memberships__is_maintainer=True)


def require_webhook_manager(user: Any, *, project: Any = None, team: Any = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may manage webhooks of the project or team."""
    if project is not None:
        if not user_can(user, Action.CHANGE, project):
            raise _denied(f"Only people who may change {project.name} can manage its webhooks.")
        return
    if not webhook_teams(user).filter(pk=team.pk).exists():
        raise _denied(
            f"Only a maintainer of {team.name} or an administrator can manage its webhooks."
        )
