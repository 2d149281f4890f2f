"""Shared steps of the review workflow tests, each through the real services.

``GATE_REVIEWERS`` says who in ``tests.org`` fills the slots of each default gate
(docs/workflow.md); ``climb_to`` walks a project up gate by gate with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError

from gates.models import CheckRun
from gates.services import check_run_record_completed
from projects.actors import system_actor
from projects.models import AuditEvent, MLTRLCard, Project
from reviews import services
from reviews.models import LevelChangeRequest, RequestState
from reviews.selectors import request_requirements
from tests.org import Org

# from-level of an advance gate -> usernames whose approvals fill its slots. Written by
# hand on purpose (not derived from gates/defaults.py): a change to the default policy
# must show up here too; tests/test_docs_tables.py ties the code to docs/workflow.md.
GATE_REVIEWERS: dict[int, tuple[str, ...]] = {
    0: ("lead",),
    1: ("lead", "peer"),
    2: ("lead", "peer"),
    3: ("lead", "eng"),
    4: ("lead", "prod", "ethicist"),
    5: ("lead", "prod", "eng", "ethicist"),
    6: ("prod", "eng", "eng2"),
    7: ("eng", "ops", "prod"),
    8: ("ops", "prod", "ethicist"),
}
ENTRY_REVIEWERS = ("lead", "eng", "prod")
SHA_ENTRY = "e" * 40


def commit_for(level: int) -> str:
    """A distinct commit per target level, so each gate's check run has its own commit."""
    return f"{level:x}" * 40


def pass_checks(
    request: LevelChangeRequest, outcome: str = "pass", *, except_: tuple[str, ...] = ()
) -> CheckRun:
    """Record one completed run on the request's commit with every required check."""
    keys = request_requirements(request).required_checks
    return check_run_record_completed(
        project=request.project,
        commit_sha=request.commit_sha,
        results=[
            {
                "check_key": key,
                "outcome": "fail" if key in except_ else outcome,
                "message": f"{key} {'failed' if key in except_ else 'looked at'}",
            }
            for key in keys
        ],
        actor=system_actor("worker"),
    )


def fill_card(project: Project, sections=None) -> MLTRLCard:
    """Write text into the named card sections (default: every prose section)."""
    card = MLTRLCard.objects.get(project=project)
    names = sections or (
        "tldr",
        "requirements",
        "pitch",
        "intended_uses",
        "unacceptable_uses",
        "testing_status",
        "data_considerations",
        "caveats",
    )
    for name in names:
        setattr(card, name, f"Written {name}.")
    card.save()
    return card


def open_advance(org: Org, project: Project | None = None, **kwargs) -> LevelChangeRequest:
    project = project or org.project
    project.refresh_from_db()
    kwargs.setdefault("actor", org.researcher)
    kwargs.setdefault("commit_sha", commit_for(project.level + 1))
    return services.request_open(
        project=project, kind="advance", to_level=project.level + 1, **kwargs
    )


def ready(request: LevelChangeRequest) -> LevelChangeRequest:
    """Make everything but the sign-offs hold: card sections written, checks passing."""
    fill_card(request.project, request_requirements(request).required_card_sections)
    pass_checks(request)
    return request


def approve_all(org: Org, request: LevelChangeRequest, usernames) -> LevelChangeRequest:
    for name in usernames:
        services.signoff_record(level_request=request, actor=org.users[name], decision="approve")
    request.refresh_from_db()
    return request


def climb_to(org: Org, level: int, project: Project | None = None) -> Project:
    """Advance gate by gate to ``level``, each gate met in full."""
    project = project or org.project
    project.refresh_from_db()
    while project.level < level:
        request = ready(open_advance(org, project))
        approve_all(org, request, GATE_REVIEWERS[project.level])
        assert request.state == RequestState.APPROVED, request
        project.refresh_from_db()
    return project


def enter_at(org: Org, level: int, project: Project | None = None) -> Project:
    """Register a level-0 project at ``level`` through an approved entry review."""
    project = project or org.project
    request = services.request_open(
        project=project,
        actor=org.researcher,
        kind="entry",
        to_level=level,
        reason="Off-the-shelf model from a vendor.",
        commit_sha=SHA_ENTRY,
    )
    approve_all(org, ready(request), ENTRY_REVIEWERS)
    assert request.state == RequestState.APPROVED, request
    project.refresh_from_db()
    return project


def audit_kinds(project: Project) -> list[str]:
    return list(
        AuditEvent.objects.filter(project=project).order_by("seq").values_list("kind", flat=True)
    )


@contextmanager
def raises_message(exc_type: type[Exception], message: str) -> Iterator[pytest.ExceptionInfo]:
    """Expect ``exc_type`` carrying exactly the user-facing ``message``."""
    with pytest.raises(exc_type) as excinfo:
        yield excinfo
    error = excinfo.value
    got = error.messages if isinstance(error, ValidationError) else [str(error)]
    assert got == [message]
