"""Which actions the review page offers a user: buttons appear only for what they may do.

This mirrors the services' rules (``reviews.services``, ``reviews.waivers``)
for display only; every POST goes to a service that checks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from projects.levels import HIGHEST_LEVEL
from projects.models import ProjectStatus, RoleGrant
from projects.permissions import Action, user_can

from .models import (
    ACTIVE_STATES,
    UNDER_REVIEW_STATES,
    LevelChangeRequest,
    RequestKind,
    RequestState,
    Waiver,
)
from .selectors import request_requirements
from .selectors_home import slots_i_fit


@dataclass(frozen=True)
class ReviewActions:
    sign_slots: tuple[str, ...] = ()  # empty slots my roles would fill
    comment: bool = False
    withdraw: bool = False
    resubmit: bool = False
    submit: bool = False
    rerun: bool = False
    waive_checks: tuple[str, ...] = ()
    revocable: frozenset[int] = field(default_factory=frozenset)

    @property
    def sign(self) -> bool:
        return bool(self.sign_slots)


def _waiver_roles_held(user: Any, lr: LevelChangeRequest, roles: tuple[str, ...]) -> bool:
    teams = [lr.project.team_id, *lr.project.reviewer_teams.values_list("pk", flat=True)]
    return RoleGrant.objects.filter(user=user, team_id__in=teams, role__key__in=roles).exists()


def review_actions(user: Any, lr: LevelChangeRequest, waivers: list[Waiver]) -> ReviewActions:
    """What ``user`` may do on ``lr`` now (a handful of queries, whatever the page size)."""
    if not user.is_authenticated:
        return ReviewActions()
    project = lr.project
    under_review = lr.state in UNDER_REVIEW_STATES
    requester_side = user_can(user, Action.REQUEST_LEVEL_CHANGE, project)
    is_requester = user.pk == lr.requester_id
    sign_slots: tuple[str, ...] = ()
    if under_review and not is_requester and user_can(user, Action.SIGN_OFF, project):
        sign_slots = slots_i_fit(user, lr)
    waive_checks: tuple[str, ...] = ()
    revocable: set[int] = set()
    live_waivers = [w for w in waivers if w.revoked_at is None]
    if user_can(user, Action.WAIVE, project):
        requirements = request_requirements(lr)
        holds = _waiver_roles_held(user, lr, requirements.waiver_roles)
        if holds and under_review and not is_requester:
            waive_checks = requirements.required_checks
        revocable = {w.pk for w in live_waivers if holds or w.granted_by_id == user.pk}
    return ReviewActions(
        sign_slots=sign_slots,
        comment=True,
        withdraw=lr.state in (*UNDER_REVIEW_STATES, RequestState.DRAFT)
        and (is_requester or requester_side),
        resubmit=lr.state == RequestState.CHANGES_REQUESTED and requester_side,
        # A draft (the worker's proposed switchback of an at-risk project) is
        # submitted by the owning team: it opens for review.
        submit=lr.state == RequestState.DRAFT and requester_side,
        rerun=under_review and requester_side and bool(project.repository_url),
        waive_checks=waive_checks,
        revocable=frozenset(revocable),
    )


def open_request_blocker(project: Any, kind: str, active: LevelChangeRequest | None) -> str | None:
    """Why a request of ``kind`` cannot be opened on ``project`` now, in the services'
    words (``reviews.rules``, ``reviews.services.request_open``), or None.

    ``active`` is the project's request under way, if any (the caller has it).
    """
    if project.status != ProjectStatus.ACTIVE:
        return (
            f"{project.name} is {project.get_status_display().lower()}; "
            "only active projects change level."
        )
    if active is not None:
        return (
            f"{project.name} already has request #{active.pk} under way "
            f"({active.get_state_display().lower()}); finish or withdraw it first."
        )
    if kind == RequestKind.ADVANCE and project.level >= HIGHEST_LEVEL:
        return f"Level {HIGHEST_LEVEL} is the highest level; there is nothing to advance to."
    if kind == RequestKind.SWITCHBACK and project.level <= project.entry_level:
        return (
            f"{project.name} is at level {project.level}, the level it entered at; "
            "there is no lower level it passed through to switch back to."
        )
    return None


def active_request(project: Any) -> LevelChangeRequest | None:
    """The project's request under way (draft, open or changes requested), if any."""
    return LevelChangeRequest.objects.filter(project=project, state__in=ACTIVE_STATES).first()
