"""Reads behind the home page: what waits on me, my projects, my requests, my teams' news.

Each list costs a fixed number of queries whatever its length (the gate facts
of all listed requests are gathered at once by ``selectors_batch``). Every
project and request comes through the permission entry point.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from gates.models import SlotScope
from projects.models import AuditEvent, Membership, Project, RoleGrant
from projects.permissions import Action, projects_for
from projects.timeline import TimelineEntry, timeline_entry

from .evaluation import Approval, GateVerdict, describe_slot, gate_evaluate, match_slots
from .models import ACTIVE_STATES, LevelChangeRequest, RequestState, SignOff
from .selectors import request_requirements, requests_for
from .selectors_batch import approvals_many, gate_facts_many

ORG_ACTIVITY_KINDS = ("membership.added", "membership.removed", "role.granted", "role.revoked")


@dataclass(frozen=True)
class WaitingItem:
    request: LevelChangeRequest
    slots: tuple[str, ...]  # the slots my roles would fill, described in words
    since: datetime


def _places_filled(slots, approvals, owner_id: int) -> int:
    return sum(len(f) for f in match_slots(slots, approvals, owner_id))


def waiting_on(user: Any) -> list[WaitingItem]:
    """Open requests where one of ``user``'s role grants would fill an empty slot, oldest first.

    Open only (changes-requested requests wait on their requester); never my own
    request, never one I already signed.
    """
    candidates = list(
        requests_for(user, Action.SIGN_OFF)
        .filter(state=RequestState.OPEN)
        .exclude(requester=user)
        .exclude(Exists(SignOff.objects.filter(request=OuterRef("pk"), reviewer=user, active=True)))
        .select_related("project", "project__team", "requester")
        .order_by("created_at", "pk")
    )
    if not candidates:
        return []
    grants = list(RoleGrant.objects.filter(user=user).select_related("role"))
    my_teams = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    reviewing: dict[int, set[int]] = {}
    for project_id, team_id in Project.reviewer_teams.through.objects.filter(
        project_id__in={r.project_id for r in candidates}
    ).values_list("project_id", "team_id"):
        reviewing.setdefault(project_id, set()).add(team_id)
    signed = approvals_many(candidates)
    items = []
    for request in candidates:
        teams = {request.project.team_id, *reviewing.get(request.project_id, set())}
        fits = _slots_fitting(user, request, signed[request.pk][0], teams, grants, my_teams)
        if fits:
            items.append(WaitingItem(request, fits, request.created_at))
    return items


def _slots_fitting(user, request, approvals, teams, grants, my_teams) -> tuple[str, ...]:
    """The empty slots of ``request`` that one of ``grants`` would fill, in words."""
    owner = request.project.team_id
    slots = request_requirements(request).slots
    before = _places_filled(slots, approvals, owner)
    fits: set[str] = set()
    for grant in grants:
        if grant.team_id not in teams:
            continue
        independent = grant.team_id != owner and owner not in my_teams
        probe = Approval(0, user.get_username(), grant.role.key, grant.team_id, independent)
        if _places_filled(slots, [*approvals, probe], owner) > before:
            for slot in slots:
                if grant.role.key in slot.roles and (
                    slot.scope != SlotScope.INDEPENDENT or independent
                ):
                    fits.add(describe_slot(slot))
                    break
    return tuple(sorted(fits))


def slots_i_fit(user: Any, request: LevelChangeRequest) -> tuple[str, ...]:
    """For the review page: the empty slots ``user`` could fill on ``request``.

    The same rule as ``waiting_on`` (one request, the user's own earlier
    decision left out so a reviewer may change it), for deciding whether the
    sign-off form is shown; the service decides again on POST.
    """
    if not user.is_authenticated or user.pk == request.requester_id:
        return ()
    grants = list(RoleGrant.objects.filter(user=user).select_related("role"))
    if not grants:
        return ()
    my_teams = set(Membership.objects.filter(user=user).values_list("team_id", flat=True))
    teams = {
        request.project.team_id,
        *request.project.reviewer_teams.values_list("pk", flat=True),
    }
    approvals = [
        a for a in approvals_many([request])[request.pk][0] if a.reviewer != user.get_username()
    ]
    return _slots_fitting(user, request, approvals, teams, grants, my_teams)


@dataclass(frozen=True)
class RequestNeeds:
    request: LevelChangeRequest
    verdict: GateVerdict


def _with_verdicts(requests: list[LevelChangeRequest]) -> dict[int, GateVerdict]:
    facts = gate_facts_many(requests)
    return {pk: gate_evaluate(f) for pk, f in facts.items()}


@dataclass(frozen=True)
class MyProject:
    project: Project
    active_request: LevelChangeRequest | None
    verdict: GateVerdict | None


def my_projects(user: Any) -> list[MyProject]:
    """Projects owned by teams ``user`` belongs to, with their active request and its needs."""
    my_teams = Membership.objects.filter(user=user).values("team_id")
    projects = list(
        projects_for(user, Action.VIEW)
        .filter(team_id__in=my_teams)
        .select_related("team")
        .order_by("name")
    )
    active = list(
        LevelChangeRequest.objects.filter(
            project__in=[p.pk for p in projects], state__in=ACTIVE_STATES
        ).select_related("project")
    )
    verdicts = _with_verdicts(active)
    by_project = {r.project_id: r for r in active}
    return [
        MyProject(
            p,
            by_project.get(p.pk),
            verdicts.get(by_project[p.pk].pk) if p.pk in by_project else None,
        )
        for p in projects
    ]


def my_open_requests(user: Any) -> list[RequestNeeds]:
    """Requests ``user`` opened that are still under way, with what each still needs."""
    requests = list(
        requests_for(user)
        .filter(requester=user, state__in=ACTIVE_STATES)
        .select_related("project")
        .order_by("created_at")
    )
    verdicts = _with_verdicts(requests)
    return [RequestNeeds(r, verdicts[r.pk]) for r in requests]


def team_activity(user: Any, *, limit: int = 15) -> list[TimelineEntry]:
    """Recent events of projects my teams own or review, and of my teams' people."""
    my_teams = list(Membership.objects.filter(user=user).values_list("team_id", "team__slug"))
    if not my_teams:
        return []
    team_ids = [t for t, _ in my_teams]
    slugs = [s for _, s in my_teams]
    projects: QuerySet = projects_for(user, Action.VIEW).filter(
        Q(team_id__in=team_ids) | Q(reviewer_teams__in=team_ids)
    )
    events = (
        AuditEvent.objects.filter(
            Q(project_id__in=projects.values("pk"))
            | Q(project__isnull=True, kind__in=ORG_ACTIVITY_KINDS, payload__team__in=slugs)
        )
        .exclude(kind__in=("checks.requested", "request.commit_pinned"))
        .select_related("actor", "project")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [timeline_entry(e) for e in events]


def signed_by(user: Any, *, limit: int = 10) -> QuerySet[SignOff]:
    """My latest decisions (a reviewer's own record)."""
    return (
        SignOff.objects.filter(reviewer=user, request__in=requests_for(user))
        .select_related("request", "request__project", "role")
        .order_by("-created_at")[:limit]
    )


def project_requests(project: Project, *, past_limit: int = 20) -> dict[str, Any]:
    """A project's active request with what it needs, and its past requests (newest first)."""
    requests = list(
        LevelChangeRequest.objects.filter(project=project)
        .select_related("project", "requester")
        .order_by("-created_at", "-pk")[: past_limit + 1]
    )
    active = next((r for r in requests if r.state in ACTIVE_STATES), None)
    verdict = _with_verdicts([active])[active.pk] if active else None
    return {
        "active": active,
        "verdict": verdict,
        "past": [r for r in requests if r is not active][:past_limit],
    }
