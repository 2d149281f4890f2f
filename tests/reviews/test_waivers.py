"""Waivers: who may grant them, what they need, when they count and when they stop counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects.models import AuditEvent
from projects.permissions import DENIED, Action
from reviews import services
from reviews.models import RequestState, Waiver
from reviews.selectors import request_verdict, waivers_valid
from reviews.waivers import MAX_WAIVER_DAYS, waiver_grant, waiver_revoke
from tests.reviews.steps import (
    approve_all,
    climb_to,
    fill_card,
    open_advance,
    pass_checks,
    raises_message,
)

pytestmark = pytest.mark.django_db

FAILING = "Check readme_purpose fails: readme_purpose failed"


def _soon(**delta):
    return timezone.now() + timedelta(**(delta or {"days": 30}))


def _waive(org, actor, check_key="readme_purpose", **kwargs):
    kwargs.setdefault("reason", "README is in the wiki for now.")
    kwargs.setdefault("expires_at", _soon())
    return waiver_grant(project=org.project, check_key=check_key, actor=actor, **kwargs)


def _failing_request(org):
    """An open 0->1 request whose only failing item is the readme_purpose check."""
    request = open_advance(org)
    fill_card(org.project, ["tldr"])
    pass_checks(request, except_=("readme_purpose",))
    return request


# --- who may waive -------------------------------------------------------------------


def test_only_roles_the_policy_names_may_waive(org):
    _failing_request(org)
    # eng may waive on this project (reviewing team) but gate 0-1 names only research-lead
    with raises_message(PermissionDenied, "Waivers at this gate can be granted by: research-lead."):
        _waive(org, org.eng)
    with raises_message(PermissionDenied, "Waivers at this gate can be granted by: research-lead."):
        _waive(org, org.lead, role="engineering")
    assert not Waiver.objects.exists()


def test_outsider_cannot_waive(org):
    _failing_request(org)
    with raises_message(PermissionDenied, DENIED[Action.WAIVE]):
        _waive(org, org.outsider)


def test_roles_follow_the_gate_under_way(org):
    climb_to(org, 3)
    request = open_advance(org)
    pass_checks(request, except_=("licence",))
    waiver = _waive(org, org.eng, check_key="licence", reason="Licence under legal review.")
    assert waiver.role.key == "engineering"
    assert waiver.request == request


def test_requester_of_the_request_under_way_cannot_waive(org):
    open_advance(org, actor=org.lead)
    with raises_message(
        PermissionDenied, "You opened the request under way; someone else must waive its checks."
    ):
        _waive(org, org.lead)


# --- what a waiver needs -------------------------------------------------------------


def test_waiver_needs_a_check_and_a_reason(org):
    _failing_request(org)
    with raises_message(ValidationError, "Name the check to waive."):
        _waive(org, org.lead, check_key="")
    with raises_message(ValidationError, "A waiver needs a reason."):
        _waive(org, org.lead, reason="  ")


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (timedelta(minutes=-1), "A waiver's expiry date must be in the future."),
        (timedelta(0), "A waiver's expiry date must be in the future."),
        (timedelta(days=MAX_WAIVER_DAYS, hours=1), "A waiver may last at most 366 days."),
    ],
)
def test_waiver_expiry_must_be_future_and_bounded(org, delta, message):
    _failing_request(org)
    with raises_message(ValidationError, message):
        _waive(org, org.lead, expires_at=timezone.now() + delta)
    assert not Waiver.objects.exists()


def test_waiver_of_a_check_the_request_does_not_require_is_refused(org):
    request = _failing_request(org)
    with raises_message(
        ValidationError,
        f"Request #{request.pk} does not require a check 'coverage'; "
        "its checks are: readme_purpose.",
    ):
        _waive(org, org.lead, check_key="coverage")


def test_unknown_check_key_is_refused_with_the_gates_checks(org):
    """With no request under way the next advance gate's checks are listed (issue 6)."""
    with raises_message(
        ValidationError,
        "The 0-1 gate does not require a check 'no_such_check'; its checks are: readme_purpose.",
    ):
        _waive(org, org.lead, check_key="no_such_check")
    assert not Waiver.objects.exists()


# --- effect --------------------------------------------------------------------------


def test_waiver_makes_the_failing_check_count_and_approves(org):
    request = _failing_request(org)
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == (FAILING,)

    expires = _soon(days=MAX_WAIVER_DAYS - 1)
    waiver = _waive(org, org.lead, expires_at=expires)

    request.refresh_from_db()
    org.project.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert org.project.level == 1
    assert (waiver.request, waiver.granted_by, waiver.role.key) == (
        request,
        org.lead,
        "research-lead",
    )
    granted = AuditEvent.objects.get(project=org.project, kind="waiver.granted")
    assert granted.payload["check"] == "readme_purpose"
    assert granted.payload["request"] == request.pk
    approved = AuditEvent.objects.get(project=org.project, kind="request.approve")
    assert approved.payload["warnings"] == ["Check readme_purpose is waived."]


def test_waiver_granted_before_a_request_counts_for_it(org):
    waiver = _waive(org, org.lead)
    assert waiver.request is None
    request = _failing_request(org)
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.APPROVED


def test_expired_waiver_stops_counting(org):
    request = _failing_request(org)
    waiver = _waive(org, org.lead, expires_at=_soon(hours=1))
    assert request_verdict(request).warnings == ("Check readme_purpose is waived.",)
    assert list(waivers_valid(org.project.pk)) == [waiver]
    assert list(waivers_valid(org.project.pk, at=_soon(hours=2))) == []

    Waiver.objects.filter(pk=waiver.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert request_verdict(request).missing == (
        "Needs 1 more approval from research-lead.",
        FAILING,
    )
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.OPEN


def test_revoked_waiver_stops_counting_and_is_audited(org):
    request = _failing_request(org)
    waiver = _waive(org, org.lead)
    waiver_revoke(waiver=waiver, actor=org.lead)
    waiver.refresh_from_db()
    assert waiver.revoked_at is not None
    assert waiver.revoked_by == org.lead
    revoked = AuditEvent.objects.get(project=org.project, kind="waiver.revoked")
    assert revoked.payload == {"waiver": waiver.pk, "check": "readme_purpose"}
    assert not waivers_valid(org.project.pk).exists()

    approve_all(org, request, ["lead"])
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == (FAILING,)

    with raises_message(ValidationError, "This waiver was already revoked."):
        waiver_revoke(waiver=waiver, actor=org.lead)
    assert AuditEvent.objects.filter(kind="waiver.revoked").count() == 1


def test_outsider_cannot_revoke(org):
    _failing_request(org)
    waiver = _waive(org, org.lead)
    with raises_message(PermissionDenied, DENIED[Action.WAIVE]):
        waiver_revoke(waiver=waiver, actor=org.outsider)
    waiver.refresh_from_db()
    assert waiver.revoked_at is None


def test_waived_request_withdrawn_and_reopened_still_sees_the_waiver(org):
    first = _failing_request(org)
    _waive(org, org.lead)
    services.request_withdraw(level_request=first, actor=org.researcher)
    second = open_advance(org)
    assert request_verdict(second).missing == ("Needs 1 more approval from research-lead.",)


def test_only_the_granter_or_a_waiving_role_may_revoke(org):
    _failing_request(org)
    waiver = _waive(org, org.lead)
    # The research peer may sign off (and holds the waive permission) but the
    # 0-1 gate lets only research leads waive, so only they may revoke.
    with raises_message(
        PermissionDenied,
        "Only the person who granted this waiver, or a holder of a role that may "
        "waive at this gate (research-lead), can revoke it.",
    ):
        waiver_revoke(waiver=waiver, actor=org.peer)
    with pytest.raises(PermissionDenied):
        waiver_revoke(waiver=waiver, actor=org.outsider)
    waiver.refresh_from_db()
    assert waiver.revoked_at is None
    assert not AuditEvent.objects.filter(kind="waiver.revoked").exists()
