"""What the workflow does by itself when something happens outside a review.

A run resolved a new branch head, new check results arrived, a card was edited,
CI reported a push: the request under review follows, or is re-evaluated. The
signal receivers (``reviews/receivers.py``) call these as the ``worker`` system
actor; CI calls ``push_record`` with its token's user or the ``ci`` actor.
Each needs the request-level-change permission; the services they call lock
and check again inside their own transactions.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from gates.models import RunTrigger
from gates.runs import check_run_request
from gates.services import clean_commit_sha
from projects.models import Project
from projects.permissions import Action, require

from .models import UNDER_REVIEW_STATES, LevelChangeRequest, RequestState
from .services import request_pin_commit, request_reevaluate


def _require_project_action(actor: Any, project_id: int) -> None:
    require(actor, Action.REQUEST_LEVEL_CHANGE, Project.objects.get(pk=project_id))


def request_follow_commit(
    *, project_id: int, commit_sha: str, actor: Any
) -> LevelChangeRequest | None:
    """A run found a new head on the project's branch: re-pin its request under review."""
    _require_project_action(actor, project_id)
    request = LevelChangeRequest.objects.filter(
        project_id=project_id, state__in=UNDER_REVIEW_STATES
    ).first()
    if request is None or request.commit_sha == commit_sha:
        return request
    return request_pin_commit(level_request=request, commit_sha=commit_sha, actor=actor)


def requests_reevaluate_for_commit(*, project_id: int, commit_sha: str, actor: Any) -> list[int]:
    """Re-evaluate every request under review on this commit; return those approved."""
    _require_project_action(actor, project_id)
    approved = []
    pending = LevelChangeRequest.objects.filter(
        project_id=project_id, commit_sha=commit_sha, state=RequestState.OPEN
    )
    for request in pending:
        if request_reevaluate(level_request=request, actor=actor):
            approved.append(request.pk)
    return approved


def requests_reevaluate_for_project(*, project_id: int, actor: Any) -> list[int]:
    """Re-evaluate the project's open request (after a card edit); return those approved."""
    _require_project_action(actor, project_id)
    approved = []
    for request in LevelChangeRequest.objects.filter(
        project_id=project_id, state=RequestState.OPEN
    ):
        if request_reevaluate(level_request=request, actor=actor):
            approved.append(request.pk)
    return approved


@transaction.atomic
def push_record(*, project: Project, branch: str, commit_sha: str, actor: Any) -> None:
    """CI reports a push: check the commit; on the project's branch, re-pin its request.

    A push to another branch is checked (its results are kept per commit) but
    moves no request. CI tokens may report pushes; they never sign off.
    """
    sha = clean_commit_sha(commit_sha)
    project = Project.objects.select_for_update().get(pk=project.pk)
    require(actor, Action.REQUEST_LEVEL_CHANGE, project)
    if branch != project.default_branch:
        check_run_request(project=project, trigger=RunTrigger.PUSH, commit_sha=sha, actor=actor)
        return
    request = request_follow_commit(project_id=project.pk, commit_sha=sha, actor=actor)
    if request is None or request.commit_sha != sha:
        check_run_request(project=project, trigger=RunTrigger.PUSH, commit_sha=sha, actor=actor)
