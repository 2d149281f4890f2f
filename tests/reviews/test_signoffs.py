"""Sign-offs: separation of duties, one slot per person, decisions, evidence-bound approvals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gates.models import GatePolicy
from gates.policies import policy_publish
from gates.services import check_run_record_completed
from projects.actors import system_actor
from projects.models import AuditEvent, CardVersion, MLTRLCard
from projects.permissions import DENIED, Action
from projects.services import membership_add, role_grant
from reviews import services
from reviews.models import Decision, RequestState, SignOff
from reviews.selectors import request_verdict
from tests.org import SHA_A, SHA_B, admin_actor, make_user
from tests.reviews.steps import (
    approve_all,
    audit_kinds,
    climb_to,
    enter_at,
    fill_card,
    open_advance,
    pass_checks,
    raises_message,
    ready,
)

pytestmark = pytest.mark.django_db


def _sign(request, user, decision="approve", **kwargs):
    return services.signoff_record(level_request=request, actor=user, decision=decision, **kwargs)


def _add_user(org, username, team, roles=()):
    user = make_user(username)
    membership_add(team=org.teams[team], user=user, actor=admin_actor())
    for key in roles:
        role_grant(team=org.teams[team], user=user, role=org.role(key), actor=admin_actor())
    org.users[username] = user
    return user


# --- who may sign --------------------------------------------------------------------


def test_requester_cannot_sign_their_own_request(org):
    request = open_advance(org, actor=org.lead)
    with raises_message(
        PermissionDenied, "You opened this request; someone else must sign it off."
    ):
        _sign(request, org.lead)
    assert not SignOff.objects.exists()


def test_outsider_without_sign_off_permission_is_denied(org):
    request = open_advance(org)
    with raises_message(PermissionDenied, DENIED[Action.SIGN_OFF]):
        _sign(request, org.outsider)
    # a member of the owning team without a review role has no sign-off permission either
    with raises_message(PermissionDenied, DENIED[Action.SIGN_OFF]):
        _sign(request, org.researcher)


@pytest.mark.parametrize("username", ["eng", "peer", "ops"])
def test_reviewer_without_a_needed_role_cannot_sign(org, username):
    request = open_advance(org)
    message = (
        "You cannot sign this gate: it needs 1 x research-lead (any). "
        "Roles it counts: research-lead."
    )
    with raises_message(ValidationError, message):
        _sign(request, org.users[username])
    with raises_message(ValidationError, message.replace("gate:", "gate as engineering:")):
        _sign(request, org.users[username], role="engineering")
    assert not SignOff.objects.exists()


def test_member_of_owning_team_is_not_independent(org):
    enter_at(org, 4)
    insider = _add_user(org, "prod-insider", "product", ["product"])
    membership_add(team=org.teams["research"], user=insider, actor=admin_actor())
    request = ready(open_advance(org))
    message = (
        "You cannot sign this gate: it needs 1 x research-lead (any); 1 x product (independent); "
        "1 x ethics (independent). Roles it counts: ethics, product, research-lead."
    )
    with raises_message(ValidationError, message):
        _sign(request, insider)

    signoff = _sign(request, org.prod)
    assert signoff.independent is True
    assert signoff.team == org.teams["product"]
    assert "Needs 1 more approval from product from outside the owning team." not in (
        request_verdict(request).missing
    )


# --- one person, one slot ------------------------------------------------------------


def test_reviewer_with_two_roles_fills_one_slot(org):
    climb_to(org, 1)
    role_grant(
        team=org.teams["research"],
        user=org.lead,
        role=org.role("research-peer"),
        actor=admin_actor(),
    )
    request = ready(open_advance(org))

    first = _sign(request, org.lead)
    assert first.role.key == "research-lead"
    second = _sign(request, org.lead, role="research-peer")
    first.refresh_from_db()
    assert first.active is False
    assert second.active is True
    assert second.role.key == "research-peer"
    assert SignOff.objects.filter(request=request, active=True).count() == 1
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == ("Needs 1 more approval from research-lead.",)
    supersede = AuditEvent.objects.filter(kind="signoff.recorded").last()
    assert supersede.payload["supersedes"] == first.pk


def test_flexible_reviewer_is_placed_where_nobody_else_can_stand_in(org):
    climb_to(org, 1)
    _add_user(org, "lead2", "research", ["research-lead"])
    role_grant(
        team=org.teams["research"],
        user=org.lead,
        role=org.role("research-peer"),
        actor=admin_actor(),
    )
    request = ready(open_advance(org))
    approve_all(org, request, ["lead2"])
    signoff = _sign(request, org.lead)  # lead could be either; only peer is still open
    assert signoff.role.key == "research-peer"
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED


def test_double_submission_records_one_sign_off(org):
    request = open_advance(org)  # checks missing: the approval does not close the gate
    first = _sign(request, org.lead, comment="Looks right")
    again = _sign(request, org.lead, comment="Looks right")
    assert again.pk == first.pk
    assert SignOff.objects.filter(request=request).count() == 1
    assert audit_kinds(org.project).count("signoff.recorded") == 1


# --- request changes, resubmit, reject ----------------------------------------------


def test_request_changes_needs_tasks(org):
    request = open_advance(org)
    message = "Requesting changes needs at least one task (the remaining work)."
    for tasks in ([], ["  ", ""]):
        with raises_message(ValidationError, message):
            _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=tasks)
    request.refresh_from_db()
    assert request.state == RequestState.OPEN


def test_request_changes_sets_state_and_lists_tasks(org):
    request = ready(open_advance(org))
    signoff = _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=[" Add README ", "Fix plot"])
    assert signoff.tasks == ["Add README", "Fix plot"]
    request.refresh_from_db()
    assert request.state == RequestState.CHANGES_REQUESTED
    assert request_verdict(request).missing == (
        "Needs 1 more approval from research-lead.",
        "lead requested changes: Add README; Fix plot.",
    )
    assert audit_kinds(org.project)[-1] == "request.request_changes"


def test_same_reviewer_approving_afterwards_reopens_and_approves(org):
    request = ready(open_advance(org))
    _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=["Add README"])
    _sign(request, org.lead)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert audit_kinds(org.project)[-3:] == ["request.reopen", "request.approve", "level.changed"]


def test_approval_reopens_only_when_no_change_request_is_outstanding(org):
    climb_to(org, 1)
    request = ready(open_advance(org))
    _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=["More runs"])
    _sign(request, org.peer, Decision.REQUEST_CHANGES, tasks=["Log seeds"])
    _sign(request, org.lead)
    request.refresh_from_db()
    assert request.state == RequestState.CHANGES_REQUESTED
    assert request_verdict(request).missing == (
        "Needs 1 more approval from research-peer.",
        "peer requested changes: Log seeds.",
    )
    _sign(request, org.peer)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED


def test_resubmit_retires_change_requests(org):
    request = ready(open_advance(org))
    changes = _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=["Add README"])
    services.request_resubmit(level_request=request, actor=org.researcher, comment="Done")
    request.refresh_from_db()
    changes.refresh_from_db()
    assert request.state == RequestState.OPEN
    assert changes.active is False
    assert changes.tasks == ["Add README"]  # the record stays
    assert request_verdict(request).missing == ("Needs 1 more approval from research-lead.",)
    resubmitted = AuditEvent.objects.filter(kind="request.resubmit").get()
    assert resubmitted.payload["retired"] == [changes.pk]
    _sign(request, org.lead)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED


def test_resubmit_is_only_for_changes_requested(org):
    request = open_advance(org)
    with raises_message(
        ValidationError, f"Request #{request.pk} is open; it cannot be resubmitted."
    ):
        services.request_resubmit(level_request=request, actor=org.researcher)


def test_reject_needs_a_comment_and_ends_the_request(org):
    request = ready(open_advance(org))
    with raises_message(ValidationError, "A rejection needs a comment saying why."):
        _sign(request, org.lead, Decision.REJECT, comment="  ")
    _sign(request, org.lead, Decision.REJECT, comment="Not novel.")
    request.refresh_from_db()
    org.project.refresh_from_db()
    assert request.state == RequestState.REJECTED
    assert request.decided_at is not None
    assert org.project.level == 0
    assert "level.changed" not in audit_kinds(org.project)


def test_unknown_decision_is_refused(org):
    request = open_advance(org)
    with raises_message(
        ValidationError, "Unknown decision 'maybe'; use approve, request_changes, reject."
    ):
        _sign(request, org.lead, "maybe")


@pytest.mark.parametrize("end", ["reject", "withdraw", "approve"])
def test_no_sign_off_after_a_terminal_state(org, end):
    climb_to(org, 1)
    request = ready(open_advance(org))
    if end == "reject":
        _sign(request, org.lead, Decision.REJECT, comment="No.")
        label = "rejected"
    elif end == "withdraw":
        services.request_withdraw(level_request=request, actor=org.researcher)
        label = "withdrawn"
    else:
        approve_all(org, request, ["lead", "peer"])
        label = "approved"
    count = SignOff.objects.count()
    with raises_message(
        ValidationError, f"Request #{request.pk} was {label} and is closed; it cannot be signed."
    ):
        _sign(request, org.peer, Decision.REQUEST_CHANGES, tasks=["late"])
    assert SignOff.objects.count() == count


# --- evidence-bound approvals --------------------------------------------------------


def _pinned_after_approval(org, *, stale_flag: bool):
    climb_to(org, 1)
    if not stale_flag:
        policy = GatePolicy.objects.get(key="1-2")
        policy.stale_approvals_on_new_commit = False
        policy.save()
        policy_publish(policy=policy, actor=admin_actor())
    request = ready(open_advance(org, commit_sha=SHA_A))
    approval = _sign(request, org.lead)
    assert approval.commit_sha == SHA_A
    services.request_pin_commit(level_request=request, commit_sha=SHA_B, actor=org.researcher)
    approval.refresh_from_db()
    request.refresh_from_db()
    return request, approval


def test_new_commit_makes_earlier_approvals_stale(org):
    request, approval = _pinned_after_approval(org, stale_flag=True)
    assert request.commit_sha == SHA_B
    assert approval.stale is True
    missing = request_verdict(request).missing
    assert "Needs 1 more approval from research-lead." in missing
    pinned = AuditEvent.objects.filter(kind="request.commit_pinned").get()
    assert pinned.payload["stale_signoffs"] == [approval.pk]


def test_approving_again_on_the_new_commit_counts(org):
    request, stale = _pinned_after_approval(org, stale_flag=True)
    pass_checks(request)
    fresh = _sign(request, org.lead)
    stale.refresh_from_db()
    assert (stale.active, fresh.stale, fresh.commit_sha) == (False, False, SHA_B)
    approve_all(org, request, ["peer"])
    assert request.state == RequestState.APPROVED


def test_new_commit_keeps_approvals_when_the_policy_flag_is_off(org):
    request, approval = _pinned_after_approval(org, stale_flag=False)
    assert approval.stale is False
    assert "Needs 1 more approval from research-lead." not in request_verdict(request).missing


def test_reviewer_who_saw_the_old_commit_is_refused(org):
    request, _ = _pinned_after_approval(org, stale_flag=True)
    message = (
        "The request moved to commit bbbbbbbbbb since you looked (you saw aaaaaaaaaa); "
        "review the new commit."
    )
    with raises_message(ValidationError, message):
        _sign(request, org.peer, commit_sha=SHA_A)
    assert not SignOff.objects.filter(reviewer=org.peer).exists()


def test_sign_off_records_commit_and_the_completed_run_on_it(org):
    request = open_advance(org, commit_sha=SHA_A)
    unrun = _sign(request, org.lead, Decision.REQUEST_CHANGES, tasks=["Run the checks"])
    assert (unrun.commit_sha, unrun.check_run) == (SHA_A, None)
    run = check_run_record_completed(
        project=org.project,
        commit_sha=SHA_A,
        results=[{"check_key": "readme_purpose", "outcome": "fail", "message": "none"}],
        actor=system_actor("worker"),
    )
    check_run_record_completed(
        project=org.project, commit_sha=SHA_B, results=[], actor=system_actor("worker")
    )
    signoff = _sign(request, org.lead, commit_sha=SHA_A.upper())
    assert signoff.commit_sha == SHA_A
    assert signoff.check_run == run


# --- the effect of approval ----------------------------------------------------------


def test_gate_six_to_seven_needs_two_distinct_engineers(org):
    climb_to(org, 6)
    request = ready(open_advance(org))
    approve_all(org, request, ["prod", "eng"])
    _sign(request, org.eng)  # again: still one slot
    assert request_verdict(request).missing == ("Needs 1 more approval from engineering.",)
    approve_all(org, request, ["eng2"])
    assert request.state == RequestState.APPROVED
    org.project.refresh_from_db()
    assert org.project.level == 7


def test_approval_applies_level_card_version_and_debrief_at_once(org):
    versions = CardVersion.objects.filter(project=org.project).count()
    request = ready(open_advance(org, debrief={"done": "Formulation by lead", "debt": ""}))
    _sign(request, org.lead)
    request.refresh_from_db()
    org.project.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert org.project.level == 1
    assert audit_kinds(org.project)[-2:] == ["request.approve", "level.changed"]
    change = AuditEvent.objects.get(project=org.project, kind="level.changed")
    assert change.payload["request"] == request.pk
    assert (change.payload["from_level"], change.payload["to_level"]) == (0, 1)
    assert change.actor_id == org.lead.pk
    assert CardVersion.objects.filter(project=org.project).count() == versions + 1
    assert CardVersion.objects.filter(project=org.project).last().level == 1
    card = MLTRLCard.objects.get(project=org.project)
    assert card.debriefs == [
        {"from_level": 0, "to_level": 1, "request": request.pk, "done": "Formulation by lead"}
    ]


def test_approval_given_before_any_commit_does_not_count_for_the_first_pinned_one(org):
    request = open_advance(org, commit_sha="")
    fill_card(org.project, ["tldr"])
    blind = _sign(request, org.lead)
    assert blind.commit_sha == ""
    check_run_record_completed(
        project=org.project,
        commit_sha=SHA_A,
        results=[{"check_key": "readme_purpose", "outcome": "pass", "message": "README"}],
        actor=system_actor("worker"),
    )
    services.request_pin_commit(level_request=request, commit_sha=SHA_A, actor=org.researcher)
    request.refresh_from_db()
    blind.refresh_from_db()
    assert blind.stale is True
    assert request.state == RequestState.OPEN
    org.project.refresh_from_db()
    assert org.project.level == 0
