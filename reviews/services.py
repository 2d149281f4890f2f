"""Write services of the review workflow: open, sign off, resubmit, withdraw, pin, approve.

Every service takes a required ``actor`` (a person, or a named system actor from
``projects.actors``) and the request as ``level_request`` (``request`` is the
HTTP request in views). Lock order is always project, then request (``_lock``),
so concurrent sign-offs and openings serialise instead of deadlocking.
Permission is checked inside the transaction, after the lock, and every change
writes its audit event there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from gates.models import GateKind, RunTrigger
from gates.policies import requirements_resolve
from gates.runs import check_run_request
from gates.selectors import latest_completed_run
from gates.services import clean_commit_sha
from projects.audit import audit_record
from projects.models import Project, ProjectStatus
from projects.permissions import Action, require
from projects.services import project_level_apply

from .evaluation import gate_evaluate
from .models import (
    ACTIVE_STATES,
    UNDER_REVIEW_STATES,
    Comment,
    Decision,
    LevelChangeRequest,
    RequestKind,
    RequestState,
    SignOff,
)
from .open_slots import open_slots_refresh
from .rules import check_level_rules, clean_debrief, require_active
from .selectors import request_gate_facts, request_requirements
from .slots import signing_grant_choose
from .state_machine import Event, request_is, transition


def _lock(request: LevelChangeRequest) -> tuple[LevelChangeRequest, Project]:
    project = Project.objects.select_for_update().get(pk=request.project_id)
    locked = (
        LevelChangeRequest.objects.select_for_update().select_related("project").get(pk=request.pk)
    )
    locked.project = project
    return locked, project


@transaction.atomic
def request_open(
    *,
    project: Project,
    actor: Any,
    kind: str,
    to_level: int,
    reason: str = "",
    switchback_kind: str = "",
    debrief: dict | None = None,
    commit_sha: str = "",
    submit: bool = True,
) -> LevelChangeRequest:
    """Open (or draft) a level-change request under the gate's current policy.

    The actor becomes the request's requester.
    """
    requester = actor
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(requester, Action.REQUEST_LEVEL_CHANGE, project)
    reason = (reason or "").strip()
    check_level_rules(project, kind, to_level, switchback_kind, reason)
    active = LevelChangeRequest.objects.filter(project=project, state__in=ACTIVE_STATES).first()
    if active is not None:
        raise ValidationError(
            f"{project.name} already has request #{active.pk} under way "
            f"({active.get_state_display().lower()}); finish or withdraw it first."
        )
    version, requirements = requirements_resolve(
        kind=kind, from_level=project.level, to_level=to_level
    )
    try:
        with transaction.atomic():
            request = LevelChangeRequest.objects.create(
                project=project,
                kind=kind,
                switchback_kind=switchback_kind if kind == RequestKind.SWITCHBACK else "",
                from_level=project.level,
                to_level=to_level,
                requester=requester,
                reason=reason,
                debrief=clean_debrief(debrief),
                policy_version=version,
                requirements=requirements.as_json(),
                commit_sha=clean_commit_sha(commit_sha) if commit_sha else "",
            )
    except IntegrityError:
        raise ValidationError(f"{project.name} already has a request under way.") from None
    audit_record(
        kind="request.created",
        actor=requester,
        project=project,
        payload={
            "request": request.pk,
            "kind": kind,
            "from_level": request.from_level,
            "to_level": to_level,
            "policy": f"{requirements.gate} v{requirements.policy_version}",
        },
    )
    if submit:
        transition(request, Event.SUBMIT, actor=requester)
        _checks_queue(request, RunTrigger.REQUEST, actor=requester)
        _approve_if_gate_holds(request, actor=requester)
    return request


def _checks_queue(request: LevelChangeRequest, trigger: str, *, actor: Any) -> None:
    """Queue the checks this request needs: its pinned commit, or the branch head."""
    if request.kind == RequestKind.SWITCHBACK or not request_requirements(request).required_checks:
        return
    check_run_request(
        project=request.project,
        trigger=trigger,
        commit_sha=request.commit_sha,
        request_id=request.pk,
        actor=actor,
    )


@transaction.atomic
def request_checks_rerun(*, level_request: LevelChangeRequest, actor: Any) -> LevelChangeRequest:
    """Fetch the branch again and re-run the checks (a new head re-pins the request)."""
    request, project = _lock(level_request)
    _require_requester_side(actor, project)
    if request.state not in UNDER_REVIEW_STATES:
        raise ValidationError(f"{request_is(request)}; its checks cannot be re-run.")
    if not project.repository_url:
        raise ValidationError("Link a repository to this project so its checks can run.")
    check_run_request(project=project, trigger=RunTrigger.RERUN, request_id=request.pk, actor=actor)
    return request


@transaction.atomic
def request_submit(*, level_request: LevelChangeRequest, actor: Any) -> LevelChangeRequest:
    """Submit a draft: it opens, its checks are queued, and the gate is evaluated."""
    request, project = _lock(level_request)
    _require_requester_side(actor, project)
    transition(request, Event.SUBMIT, actor=actor)
    _checks_queue(request, RunTrigger.REQUEST, actor=actor)
    _approve_if_gate_holds(request, actor=actor)
    return request


def _require_requester_side(actor: Any, project: Project) -> None:
    """Acting on a request as its owner: the request-level-change permission, now.

    The requester gets no shortcut: one who lost access to the project (left
    the team) may only withdraw (``request_withdraw``).
    """
    require(actor, Action.REQUEST_LEVEL_CHANGE, project)


@transaction.atomic
def request_withdraw(
    *, level_request: LevelChangeRequest, actor: Any, reason: str = ""
) -> LevelChangeRequest:
    """Withdraw a request not yet decided: its requester (even after losing access to
    the project, so nothing stays open in their name) or an owning-team member."""
    request, project = _lock(level_request)
    if getattr(actor, "pk", None) != request.requester_id:
        _require_requester_side(actor, project)
    return transition(request, Event.WITHDRAW, actor=actor, payload={"reason": reason})


@transaction.atomic
def request_resubmit(
    *, level_request: LevelChangeRequest, actor: Any, comment: str = ""
) -> LevelChangeRequest:
    """The requester says the requested changes are done: back to open.

    The outstanding request-changes sign-offs are retired (their tasks stay on
    record); those reviewers' slots are empty again until they approve.
    """
    request, project = _lock(level_request)
    _require_requester_side(actor, project)
    retired = list(
        SignOff.objects.filter(
            request=request, active=True, decision=Decision.REQUEST_CHANGES
        ).values_list("pk", flat=True)
    )
    transition(
        request, Event.RESUBMIT, actor=actor, payload={"comment": comment, "retired": retired}
    )
    SignOff.objects.filter(pk__in=retired).update(active=False)
    _approve_if_gate_holds(request, actor=actor)
    return request


@transaction.atomic
def signoff_record(
    *,
    level_request: LevelChangeRequest,
    actor: Any,
    decision: str,
    role: str | None = None,
    team: str | None = None,
    comment: str = "",
    tasks: Iterable[str] = (),
    commit_sha: str = "",
) -> SignOff:
    """Record a reviewer's decision; approve the request at once if the gate now holds.

    The actor is the reviewer.
    """
    reviewer = actor
    request, project = _lock(level_request)
    require(reviewer, Action.SIGN_OFF, project)
    if request.state == RequestState.DRAFT:
        raise ValidationError(
            f"Request #{request.pk} is a draft; it takes sign-offs once it is submitted."
        )
    if request.state not in UNDER_REVIEW_STATES:
        raise ValidationError(f"{request_is(request)}; it cannot be signed.")
    require_active(project)
    if reviewer.pk == request.requester_id:
        raise PermissionDenied("You opened this request; someone else must sign it off.")
    if decision not in Decision.values:
        raise ValidationError(f"Unknown decision {decision!r}; use {', '.join(Decision.values)}.")
    tasks = [t.strip() for t in tasks if t and t.strip()]
    comment = (comment or "").strip()
    if decision == Decision.REQUEST_CHANGES and not tasks:
        raise ValidationError("Requesting changes needs at least one task (the remaining work).")
    if decision == Decision.REJECT and not comment:
        raise ValidationError("A rejection needs a comment saying why.")
    seen_sha = clean_commit_sha(commit_sha) if commit_sha else request.commit_sha
    if request.commit_sha and seen_sha != request.commit_sha:
        raise ValidationError(
            f"The request moved to commit {request.commit_sha[:10]} since you looked "
            f"(you saw {seen_sha[:10]}); review the new commit."
        )
    grant, independent = signing_grant_choose(request, reviewer, decision, role, team)
    previous = SignOff.objects.filter(request=request, reviewer=reviewer, active=True).first()
    if (
        previous is not None
        and previous.decision == decision
        and previous.role_id == grant.role_id
        and previous.team_id == grant.team_id
        and previous.commit_sha == seen_sha
        and not previous.stale
        and previous.comment == comment
        and previous.tasks == tasks
    ):
        return previous  # a repeated submission (double click): nothing new to record
    if previous is not None:
        SignOff.objects.filter(pk=previous.pk).update(active=False)
    run = latest_completed_run(project, seen_sha) if seen_sha else None
    signoff = SignOff.objects.create(
        request=request,
        reviewer=reviewer,
        role=grant.role,
        team=grant.team,
        independent=independent,
        decision=decision,
        comment=comment,
        tasks=tasks,
        commit_sha=seen_sha,
        check_run=run,
    )
    audit_record(
        kind="signoff.recorded",
        actor=reviewer,
        project=project,
        payload={
            "request": request.pk,
            "signoff": signoff.pk,
            "decision": decision,
            "role": grant.role.key,
            "team": grant.team.slug,
            "independent": independent,
            "commit": seen_sha,
            "supersedes": previous.pk if previous else None,
        },
    )
    if decision == Decision.REJECT:
        transition(request, Event.REJECT, actor=reviewer, payload={"signoff": signoff.pk})
    elif decision == Decision.REQUEST_CHANGES:
        transition(request, Event.REQUEST_CHANGES, actor=reviewer, payload={"signoff": signoff.pk})
    else:
        if (
            request.state == RequestState.CHANGES_REQUESTED
            and not SignOff.objects.filter(
                request=request, active=True, decision=Decision.REQUEST_CHANGES
            ).exists()
        ):
            transition(request, Event.REOPEN, actor=reviewer, payload={"signoff": signoff.pk})
        _approve_if_gate_holds(request, actor=reviewer)
    return signoff


def _approve_if_gate_holds(request: LevelChangeRequest, *, actor: Any) -> bool:
    """On a locked, open request: approve and apply the level change if the gate holds.

    A paused or retired project keeps its request open: nothing changes level
    until it is active again.
    """
    open_slots_refresh(request)  # the portfolio's bottleneck rollup, this transaction
    if request.state != RequestState.OPEN or request.project.status != ProjectStatus.ACTIVE:
        return False
    verdict = gate_evaluate(request_gate_facts(request))
    if not verdict.approved:
        return False
    transition(
        request,
        Event.APPROVE,
        actor=actor,
        payload={"warnings": list(verdict.warnings), "commit": request.commit_sha},
    )
    open_slots_refresh(request)  # approved: no longer waiting on anyone
    project_level_apply(
        project=request.project,
        to_level=request.to_level,
        actor=actor,
        reason=f"request #{request.pk} ({request.kind}) approved",
        request_id=request.pk,
        entry=request.kind == GateKind.ENTRY,
        debrief=request.debrief,
    )
    return True


@transaction.atomic
def request_reevaluate(*, level_request: LevelChangeRequest, actor: Any) -> bool:
    """Approve the request if its gate now holds (after checks, waivers, card edits).

    Run by the worker system actor from the signal receivers; it needs the
    request-level-change permission (what re-evaluation can do is approve).
    """
    request, project = _lock(level_request)
    require(actor, Action.REQUEST_LEVEL_CHANGE, project)
    return _approve_if_gate_holds(request, actor=actor)


@transaction.atomic
def request_pin_commit(
    *, level_request: LevelChangeRequest, commit_sha: str, actor: Any
) -> LevelChangeRequest:
    """Pin a new commit; earlier approvals become stale when the policy says so."""
    sha = clean_commit_sha(commit_sha)
    request, project = _lock(level_request)
    _require_requester_side(actor, project)
    if request.state not in ACTIVE_STATES:
        raise ValidationError(f"{request_is(request)}; its commit cannot change.")
    if request.commit_sha == sha:
        return request
    previous = request.commit_sha
    request.commit_sha = sha
    request.save(update_fields=["commit_sha", "updated_at"])
    staled: list[int] = []
    if request_requirements(request).stale_approvals_on_new_commit:
        # Also approvals given before any commit was pinned: nobody saw this one.
        staled = list(
            SignOff.objects.filter(
                request=request, active=True, stale=False, decision=Decision.APPROVE
            )
            .exclude(commit_sha=sha)
            .values_list("pk", flat=True)
        )
        SignOff.objects.filter(pk__in=staled).update(stale=True)
    audit_record(
        kind="request.commit_pinned",
        actor=actor,
        project=project,
        payload={"request": request.pk, "from": previous, "to": sha, "stale_signoffs": staled},
    )
    if request.state in UNDER_REVIEW_STATES:
        _checks_queue(request, RunTrigger.RERUN, actor=actor)
    _approve_if_gate_holds(request, actor=actor)
    return request


@transaction.atomic
def comment_add(*, level_request: LevelChangeRequest, actor: Any, body: str) -> Comment:
    """Anyone who can see the project may comment on its requests (the actor is the author)."""
    request, project = _lock(level_request)
    require(actor, Action.VIEW, project)
    body = (body or "").strip()
    if not body:
        raise ValidationError("A comment cannot be empty.")
    comment = Comment.objects.create(request=request, author=actor, body=body)
    audit_record(
        kind="comment.added",
        actor=actor,
        project=project,
        payload={"request": request.pk, "comment": comment.pk},
    )
    return comment
