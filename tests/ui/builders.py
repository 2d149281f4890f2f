"""Building the world the page tests look at, through the real services only.

Every service call of the UI tests goes through this module, so when a service
signature changes only this file follows it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from gates.models import CheckRun, CheckRunStatus
from projects import services as project_services
from projects.models import Project, ReviewRole, Team
from reviews import services
from reviews.models import Comment, LevelChangeRequest, SignOff, Waiver
from reviews.waivers import waiver_grant
from tests.org import Org, admin_actor, make_user
from tests.reviews.steps import commit_for, enter_at, fill_card, open_advance, pass_checks

__all__ = [
    "comment",
    "commit_for",
    "enter_at",
    "fill_card",
    "new_project",
    "open_advance",
    "other_team",
    "pass_checks",
    "run_in_progress",
    "sign",
    "waive",
    "withdraw",
]


def new_project(org: Org, slug: str, *, name: str | None = None, team: str = "research") -> Project:
    return project_services.project_create(
        team=org.teams[team],
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        actor=org.researcher if team == "research" else admin_actor(),
        reviewer_teams=[org.teams["engineering"], org.teams["product"], org.teams["ethics-ops"]]
        if team == "research"
        else [],
    )


def other_team(org: Org) -> tuple[Team, Any, Project]:
    """Team ``gamma``, its member ``stranger`` (research-lead there), its project ``secret``."""
    admin = admin_actor()
    team = project_services.team_create(slug="gamma", name="Gamma", actor=admin)
    stranger = make_user("stranger")
    project_services.membership_add(team=team, user=stranger, actor=admin)
    project_services.role_grant(
        team=team, user=stranger, role=ReviewRole.objects.get(key="research-lead"), actor=admin
    )
    secret = project_services.project_create(
        team=team, slug="secret", name="Secret model", actor=stranger
    )
    org.users["stranger"] = stranger
    return team, stranger, secret


def sign(
    org: Org, request: LevelChangeRequest, username: str, decision: str = "approve", **kw
) -> SignOff:
    return services.signoff_record(
        level_request=request, actor=org.users[username], decision=decision, **kw
    )


def comment(request: LevelChangeRequest, author: Any, body: str) -> Comment:
    return services.comment_add(level_request=request, actor=author, body=body)


def withdraw(request: LevelChangeRequest, actor: Any) -> LevelChangeRequest:
    return services.request_withdraw(level_request=request, actor=actor)


def waive(org: Org, project: Project, check_key: str, username: str, reason: str) -> Waiver:
    return waiver_grant(
        project=project,
        check_key=check_key,
        actor=org.users[username],
        reason=reason,
        expires_at=timezone.now() + timedelta(days=30),
    )


def run_in_progress(request: LevelChangeRequest, *, done: int = 7, total: int = 21) -> CheckRun:
    """A run of the request's checks that a worker is in the middle of (gates' own row)."""
    return CheckRun.objects.create(
        project=request.project,
        commit_sha=request.commit_sha,
        check_set="ui-test",
        request_id=request.pk,
        status=CheckRunStatus.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        progress_done=done,
        progress_total=total,
    )
