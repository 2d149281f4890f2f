"""The request lifecycle: every allowed move, every forbidden one.

The allowed moves are pinned below as a literal table, written from
docs/architecture.md, not derived from ``TRANSITIONS``: a change to the state
machine fails here until the test (and the docs) say the same.
"""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from projects.models import AuditEvent
from projects.permissions import DENIED, Action
from reviews import services
from reviews.models import TERMINAL_STATES, LevelChangeRequest, RequestState
from reviews.state_machine import TRANSITIONS, Event, TransitionError, allowed_events, transition
from tests.reviews.steps import raises_message

# (from state, event) -> to state, as docs/architecture.md lists them. Literal on purpose.
EXPECTED: dict[tuple[str, str], str] = {
    ("draft", "submit"): "open",
    ("draft", "withdraw"): "withdrawn",
    ("open", "request_changes"): "changes_requested",
    ("open", "approve"): "approved",
    ("open", "reject"): "rejected",
    ("open", "withdraw"): "withdrawn",
    ("changes_requested", "request_changes"): "changes_requested",
    ("changes_requested", "resubmit"): "open",
    ("changes_requested", "reopen"): "open",
    ("changes_requested", "reject"): "rejected",
    ("changes_requested", "withdraw"): "withdrawn",
}
ALL_PAIRS = list(itertools.product(RequestState.values, list(Event)))
ALLOWED = sorted((state, Event(event)) for (state, event) in EXPECTED)
# Every refusal reads as a sentence, whatever the pair ("Request #61 is draft; it cannot
# resubmit." did not): written out here, not derived from the module under test.
SAYS_STATE = {
    "draft": "is a draft",
    "open": "is open",
    "changes_requested": "has changes requested",
    "approved": "was approved and is closed",
    "rejected": "was rejected and is closed",
    "withdrawn": "was withdrawn and is closed",
}
SAYS_EVENT = {
    "submit": "be submitted",
    "request_changes": "have changes requested",
    "resubmit": "be resubmitted",
    "reopen": "be reopened",
    "approve": "be approved",
    "reject": "be rejected",
    "withdraw": "be withdrawn",
}
FORBIDDEN = [(state, event) for (state, event) in ALL_PAIRS if (state, event.value) not in EXPECTED]


def test_the_code_table_is_the_pinned_table():
    assert {(str(s), str(e)): str(t) for (s, e), t in TRANSITIONS.items()} == EXPECTED


def _pair_id(pair) -> str:
    state, event = pair
    return f"{state}-{event.value}"


def _request_in(org, state: str) -> LevelChangeRequest:
    """A real request (opened as a draft by the service) put into ``state``."""
    request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, submit=False
    )
    LevelChangeRequest.objects.filter(pk=request.pk).update(state=state)
    request.refresh_from_db()
    return request


def test_the_table_covers_the_design_lifecycle():
    """Draft, open, changes requested lead somewhere; approved/rejected/withdrawn are ends."""
    sources = {state for (state, _) in TRANSITIONS}
    assert sources == {RequestState.DRAFT, RequestState.OPEN, RequestState.CHANGES_REQUESTED}
    assert not sources & set(TERMINAL_STATES)
    assert set(TRANSITIONS.values()) == set(RequestState.values) - {RequestState.DRAFT}
    assert len(ALLOWED) + len(FORBIDDEN) == len(RequestState.values) * len(Event)


@pytest.mark.parametrize("state", RequestState.values)
def test_allowed_events_lists_exactly_the_table_rows(state):
    assert set(allowed_events(state)) == {Event(e) for (s, e) in EXPECTED if s == state}


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "event"), ALLOWED, ids=map(_pair_id, ALLOWED))
def test_allowed_transition_moves_state_and_writes_one_audit_event(org, state, event):
    request = _request_in(org, state)
    target = EXPECTED[(state, event.value)]
    before = AuditEvent.objects.filter(project=org.project).count()

    with transaction.atomic():
        returned = transition(request, event, actor=org.lead, payload={"note": "x"})

    assert returned is request
    request.refresh_from_db()
    assert request.state == target
    if target in TERMINAL_STATES:
        assert request.decided_at is not None
    else:
        assert request.decided_at is None
    events = list(AuditEvent.objects.filter(project=org.project).order_by("seq"))
    assert len(events) == before + 1
    event_row = events[-1]
    assert event_row.kind == f"request.{event.value}"
    assert event_row.actor_id == org.lead.pk
    assert event_row.payload == {
        "request": request.pk,
        "from_state": state,
        "to_state": target,
        "note": "x",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "event"), FORBIDDEN, ids=map(_pair_id, FORBIDDEN))
def test_forbidden_transition_raises_and_changes_nothing(org, state, event):
    request = _request_in(org, state)
    before = list(AuditEvent.objects.filter(project=org.project).values_list("pk", flat=True))
    with pytest.raises(TransitionError) as excinfo, transaction.atomic():
        transition(request, event, actor=org.lead)

    (message,) = excinfo.value.messages
    assert (
        message
        == f"Request #{request.pk} {SAYS_STATE[state]}; it cannot {SAYS_EVENT[event.value]}."
    )
    assert excinfo.value.code == "invalid_transition"
    assert request.state == state
    request.refresh_from_db()
    assert request.state == state
    assert request.decided_at is None
    after = list(AuditEvent.objects.filter(project=org.project).values_list("pk", flat=True))
    assert after == before


@pytest.mark.django_db(transaction=True)
def test_transition_outside_a_transaction_raises_and_changes_nothing(org):
    request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, submit=False
    )
    before = AuditEvent.objects.filter(project=org.project).count()

    with pytest.raises(RuntimeError, match="must run inside the caller's transaction"):
        transition(request, Event.SUBMIT, actor=org.researcher)

    request.refresh_from_db()
    assert request.state == RequestState.DRAFT
    assert AuditEvent.objects.filter(project=org.project).count() == before


@pytest.mark.django_db
def test_services_drive_the_table_draft_submit_then_withdraw(org):
    """The services use the same table: a draft is submitted, then withdrawn (terminal)."""
    request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, submit=False
    )
    assert request.state == RequestState.DRAFT
    services.request_submit(level_request=request, actor=org.researcher)
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    services.request_withdraw(level_request=request, actor=org.researcher, reason="wrong gate")
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    assert request.decided_at is not None

    with raises_message(
        TransitionError,
        f"Request #{request.pk} was withdrawn and is closed; it cannot be withdrawn.",
    ):
        services.request_withdraw(level_request=request, actor=org.researcher)


@pytest.mark.django_db
def test_withdraw_by_someone_outside_the_owning_team_is_denied(org):
    request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1
    )
    with raises_message(PermissionDenied, DENIED[Action.REQUEST_LEVEL_CHANGE]):
        services.request_withdraw(level_request=request, actor=org.eng)
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
