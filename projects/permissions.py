"""The one permission entry point.

Every queryset of projects (and of anything hanging off a project) that a user
sees comes from here. Object permissions are django-guardian rows on the direct
foreign-key tables, granted to team groups (see ``projects.services``); a global
``projects.view_project`` permission (portfolio managers) widens *viewing* only.

Views call ``project_for``: a project outside the user's scope answers 404, a
visible project the user may not act on answers 403.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from .models import Project, ProjectGroupObjectPermission, ProjectUserObjectPermission


class Action(StrEnum):
    """Named workflow verbs; each is a permission codename on Project."""

    VIEW = "view_project"
    CHANGE = "change_project"
    REQUEST_LEVEL_CHANGE = "request_level_change"
    SIGN_OFF = "sign_off"
    WAIVE = "waive_check"


def _has_global(user: Any, action: Action) -> bool:
    return action is Action.VIEW and user.has_perm(f"projects.{action.value}")


def projects_for(
    user: Any, action: Action = Action.VIEW, queryset: QuerySet | None = None
) -> QuerySet:
    """Projects on which ``user`` may perform ``action``, as one filterable queryset."""
    qs = queryset if queryset is not None else Project.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.is_superuser or _has_global(user, action):
        return qs
    direct = ProjectUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename=action.value
    )
    via_group = ProjectGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"),
        group__user=user,
        permission__codename=action.value,
    )
    return qs.filter(Exists(direct) | Exists(via_group))


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
        raise PermissionDenied(f"You may not {action.name.lower().replace('_', ' ')} here.")
    return project


def require(user: Any, action: Action, project: Project) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may perform ``action`` on ``project``."""
    if not user_can(user, action, project):
        raise PermissionDenied(f"You may not {action.name.lower().replace('_', ' ')} here.")
