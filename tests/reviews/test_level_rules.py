"""The level rules of docs/workflow.md as the services enforce them, with their sentences."""

from __future__ import annotations

import contextlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from gates.models import GatePolicy
from gates.policies import policy_publish
from projects.models import AuditEvent, ProjectStatus
from projects.selectors import SystemLevel, project_system_level
from projects.services import membership_add, project_create, project_update, role_grant
from reviews import services
from reviews.models import LevelChangeRequest, RequestState
from reviews.selectors import request_requirements, request_verdict
from tests.org import SHA_A, SHA_B, admin_actor, make_user
from tests.reviews.steps import (
    approve_all,
    climb_to,
    enter_at,
    open_advance,
    raises_message,
    ready,
)

pytestmark = pytest.mark.django_db

NAME = "Vision model"


def _switchback(org, to_level, *, kind="discovery", reason="Integration found a gap."):
    return services.request_open(
        project=org.project,
        actor=org.researcher,
        kind="switchback",
        to_level=to_level,
        switchback_kind=kind,
        reason=reason,
    )


def _entry(org, to_level, reason="Vendor model."):
    return services.request_open(
        project=org.project,
        actor=org.researcher,
        kind="entry",
        to_level=to_level,
        reason=reason,
        commit_sha=SHA_A,
    )


# --- advancing -----------------------------------------------------------------------


@pytest.mark.parametrize("to_level", [0, 2, 5])
def test_advance_goes_only_to_the_next_level(org, to_level):
    message = f"No skipping: {NAME} is at level 0, so it can only advance to 1."
    with raises_message(ValidationError, message):
        services.request_open(
            project=org.project, actor=org.researcher, kind="advance", to_level=to_level
        )
    assert not LevelChangeRequest.objects.exists()


def test_full_climb_from_zero_to_nine_meets_every_default_gate(org):
    project = climb_to(org, 9)
    assert project.level == 9
    changes = AuditEvent.objects.filter(project=project, kind="level.changed").order_by("seq")
    assert [(e.payload["from_level"], e.payload["to_level"]) for e in changes] == [
        (n, n + 1) for n in range(9)
    ]

    with raises_message(
        ValidationError, "Level 9 is the highest level; there is nothing to advance to."
    ):
        services.request_open(project=project, actor=org.researcher, kind="advance", to_level=10)


def test_unknown_kind_is_refused(org):
    with raises_message(ValidationError, "Unknown request kind 'sideways'."):
        services.request_open(
            project=org.project, actor=org.researcher, kind="sideways", to_level=1
        )


def test_unknown_debrief_field_is_refused(org):
    with raises_message(
        ValidationError, "Unknown debrief fields: mood (use debt, done, learned, punted)."
    ):
        open_advance(org, debrief={"done": "x", "mood": "good"})


@pytest.mark.parametrize("status", [ProjectStatus.PAUSED, ProjectStatus.RETIRED])
def test_paused_or_retired_project_cannot_open_requests(org, status):
    project_update(project=org.project, status=status, actor=org.lead)
    label = status.label.lower()
    with raises_message(ValidationError, f"{NAME} is {label}; only active projects change level."):
        open_advance(org)


# --- one request under way -----------------------------------------------------------


@pytest.mark.parametrize(("submit", "label"), [(True, "open"), (False, "draft")])
def test_one_active_request_per_project(org, submit, label):
    first = open_advance(org, submit=submit)
    message = (
        f"{NAME} already has request #{first.pk} under way ({label}); finish or withdraw it first."
    )
    with raises_message(ValidationError, message):
        open_advance(org, actor=org.lead)
    assert LevelChangeRequest.objects.filter(project=org.project).count() == 1

    services.request_withdraw(level_request=first, actor=org.researcher)
    second = open_advance(org)
    assert second.state == RequestState.OPEN


def test_database_refuses_a_second_active_row(org):
    first = open_advance(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelChangeRequest.objects.create(
            project=org.project,
            kind="advance",
            from_level=0,
            to_level=1,
            state=RequestState.OPEN,
            requester=org.lead,
            policy_version=first.policy_version,
            requirements=first.requirements,
        )
    # a finished request does not count as active
    LevelChangeRequest.objects.create(
        project=org.project,
        kind="advance",
        from_level=0,
        to_level=1,
        state=RequestState.WITHDRAWN,
        requester=org.lead,
        policy_version=first.policy_version,
        requirements=first.requirements,
    )
    assert LevelChangeRequest.objects.filter(project=org.project).count() == 2


# --- switchbacks ---------------------------------------------------------------------


def test_switchback_needs_a_kind(org):
    climb_to(org, 2)
    with raises_message(
        ValidationError, "Say which kind of switchback this is: discovery, review, embedded."
    ):
        _switchback(org, 1, kind="")


def test_switchback_needs_a_reason(org):
    climb_to(org, 2)
    with raises_message(ValidationError, "A switchback needs a reason."):
        _switchback(org, 1, reason="   ")


@pytest.mark.parametrize("to_level", [2, 3])
def test_switchback_must_go_down(org, to_level):
    climb_to(org, 2)
    with raises_message(ValidationError, f"A switchback goes down: {NAME} is at level 2."):
        _switchback(org, to_level)


def test_switchback_cannot_go_below_the_entry_level(org):
    enter_at(org, 4)
    message = (
        f"{NAME} entered at level 4 and never passed through level 3; "
        "a switchback can only go to a level it passed through."
    )
    with raises_message(ValidationError, message):
        _switchback(org, 3)
    with raises_message(ValidationError, f"A switchback goes down: {NAME} is at level 4."):
        _switchback(org, 4)

    climb_to(org, 5)
    request = _switchback(org, 4, kind="review")
    assert request_requirements(request).required_checks == ()
    approve_all(org, request, ["lead"])
    org.project.refresh_from_db()
    assert (org.project.level, org.project.entry_level) == (4, 4)


def test_switchback_approved_by_research_lead_of_owning_team(org):
    climb_to(org, 2)
    request = _switchback(org, 1)
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.APPROVED
    assert request.switchback_kind == "discovery"
    org.project.refresh_from_db()
    assert org.project.level == 1
    last = AuditEvent.objects.filter(project=org.project, kind="level.changed").last()
    assert (last.payload["from_level"], last.payload["to_level"]) == (2, 1)


def test_switchback_product_reviewer_of_another_team_cannot_sign(org):
    climb_to(org, 1)
    request = _switchback(org, 0)
    message = (
        "You cannot sign this gate: it needs 1 x product or research-lead (owning team). "
        "Roles it counts: product, research-lead."
    )
    with raises_message(ValidationError, message):
        services.signoff_record(level_request=request, actor=org.prod, decision="approve")
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    assert not request.signoffs.exists()


def test_switchback_product_of_the_owning_team_can_sign(org):
    climb_to(org, 1)
    owner_product = make_user("owner-product")
    membership_add(team=org.teams["research"], user=owner_product, actor=admin_actor())
    role_grant(
        team=org.teams["research"],
        user=owner_product,
        role=org.role("product"),
        actor=admin_actor(),
    )
    request = _switchback(org, 0, kind="embedded")
    services.signoff_record(level_request=request, actor=owner_product, decision="approve")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    org.project.refresh_from_db()
    assert org.project.level == 0


def test_climbing_again_after_a_switchback_needs_the_full_gate(org):
    climb_to(org, 2)
    approve_all(org, _switchback(org, 1), ["lead"])

    again = open_advance(org, commit_sha=SHA_B)
    assert request_verdict(again).missing == (
        "Needs 1 more approval from research-lead.",
        "Needs 1 more approval from research-peer.",
        "Check readme_purpose has no result: No result on this commit yet.",
        "Check experiment_records has no result: No result on this commit yet.",
    )
    ready(again)
    approve_all(org, again, ["lead"])
    assert again.state == RequestState.OPEN
    approve_all(org, again, ["peer"])
    assert again.state == RequestState.APPROVED
    org.project.refresh_from_db()
    assert org.project.level == 2


# --- entry reviews -------------------------------------------------------------------


def test_entry_review_registers_project_at_its_level(org):
    request = _entry(org, 4)
    requirements = request_requirements(request)
    assert requirements.required_checks == (
        "readme_purpose",
        "experiment_records",
        "research_requirements",
        "tests_present",
        "ci_config",
        "licence",
        "pinned_dependencies",
        "no_secrets",
        "no_oversized_files",
        "not_only_notebooks",
    )
    assert [(s.roles, s.scope) for s in requirements.slots] == [
        (("research-lead",), "any"),
        (("engineering",), "any"),
        (("product",), "independent"),
    ]
    ready(request)
    approve_all(org, request, ["lead", "eng"])
    assert request.state == RequestState.OPEN
    approve_all(org, request, ["prod"])
    assert request.state == RequestState.APPROVED
    org.project.refresh_from_db()
    assert (org.project.level, org.project.entry_level) == (4, 4)
    change = AuditEvent.objects.get(project=org.project, kind="level.changed")
    assert change.payload["entry"] is True
    assert change.payload["to_level"] == 4


def test_entry_review_needs_a_reason(org):
    with raises_message(
        ValidationError, "An entry review needs a reason (where the technology comes from)."
    ):
        _entry(org, 4, reason="")


@pytest.mark.parametrize("to_level", [0, 10])
def test_entry_level_must_be_one_to_nine(org, to_level):
    with raises_message(ValidationError, "The entry level must be between 1 and 9."):
        _entry(org, to_level)


def test_entry_review_refused_once_the_project_has_moved(org):
    climb_to(org, 1)
    message = (
        "An entry review registers a new project at a higher level; "
        f"{NAME} has already moved through levels."
    )
    with raises_message(ValidationError, message):
        _entry(org, 4)
    # back at level 0 the history still shows it moved
    approve_all(org, _switchback(org, 0), ["lead"])
    org.project.refresh_from_db()
    assert org.project.level == 0
    with raises_message(ValidationError, message):
        _entry(org, 4)


# --- coupled components --------------------------------------------------------------


def _couple(org):
    component = project_create(
        team=org.teams["research"],
        slug="data-pipeline",
        name="Data pipeline",
        reviewer_teams=[org.teams[t] for t in ("engineering", "product", "ethics-ops")],
        actor=admin_actor(),
    )
    project_update(project=org.project, components=[component], actor=org.lead)
    return component


def test_advancing_above_a_component_warns_and_still_approves(org):
    _couple(org)
    request = ready(open_advance(org))
    warning = "Coupled component data-pipeline is at level 0, below the requested level 1."
    assert warning in request_verdict(request).warnings
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.APPROVED
    approved = AuditEvent.objects.get(project=org.project, kind="request.approve")
    assert warning in approved.payload["warnings"]


def test_policy_can_block_advancing_above_a_component(org):
    _couple(org)
    policy = GatePolicy.objects.get(key="0-1")
    policy.block_above_components = True
    policy.save()
    policy_publish(policy=policy, actor=admin_actor())

    request = ready(open_advance(org))
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == (
        "Coupled component data-pipeline is at level 0, below the requested level 1.",
    )
    org.project.refresh_from_db()
    assert org.project.level == 0


def test_system_level_is_the_lowest_of_project_and_components(org):
    assert project_system_level(org.project) == SystemLevel(0, [])
    component = _couple(org)
    climb_to(org, 2)
    assert project_system_level(org.project) == SystemLevel(0, ["data-pipeline"])
    climb_to(org, 3, project=component)
    assert project_system_level(org.project) == SystemLevel(2, [])


def test_commit_sha_is_validated_when_opening(org):
    with raises_message(
        ValidationError, "'abc' is not a full commit SHA (40 or 64 hex characters)."
    ):
        open_advance(org, commit_sha="abc")
    request = open_advance(org, commit_sha=SHA_A.upper())
    assert request.commit_sha == SHA_A


@pytest.mark.parametrize("status", [ProjectStatus.PAUSED, ProjectStatus.RETIRED])
def test_project_paused_while_under_review_does_not_change_level(org, status):
    request = ready(open_advance(org))
    project_update(project=org.project, status=status, actor=org.lead)
    with contextlib.suppress(ValidationError):  # refusing the sign-off also keeps the level
        approve_all(org, request, ["lead"])
    request.refresh_from_db()
    org.project.refresh_from_db()
    assert org.project.level == 0
    assert request.state != RequestState.APPROVED
