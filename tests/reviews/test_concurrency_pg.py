"""Concurrent writers against a real PostgreSQL: locks serialise sign-offs and openings.

Threads need committed data, so these tests use ``transaction=True``; each
thread has its own connection and closes it when done. The self-sign-off
trigger test at the end also runs on SQLite (the migration installs one there).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from gates.services import check_run_record_completed
from projects import services as project_services
from projects.actors import system_actor
from projects.audit import audit_verify_all
from projects.models import AuditEvent, Project, ReviewRole
from reviews import services
from reviews.models import ACTIVE_STATES, LevelChangeRequest, RequestState, SignOff
from tests.org import SHA_A, admin_actor, make_user

THREADS = 20
SELF_SIGNOFF = "a requester cannot sign off their own request"


def run_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call in its own thread behind one barrier; return results or exceptions."""
    barrier = threading.Barrier(len(calls), timeout=300)  # generous: loaded machine
    outcomes: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # the test inspects every outcome
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return outcomes


def errors(outcomes: list[Any]) -> list[Exception]:
    return [o for o in outcomes if isinstance(o, Exception)]


def assert_only_refusals(outcomes: list[Any], message: str) -> None:
    """Every failure is a ValidationError saying ``message``; anything else is a bug."""
    unexpected = [e for e in errors(outcomes) if not isinstance(e, ValidationError)]
    assert unexpected == []
    for exc in errors(outcomes):
        assert exc.messages == [message]


def too_late(request: LevelChangeRequest) -> str:
    return f"Request #{request.pk} was approved and is closed; it cannot be signed."


def level_changes_to(project: Project, level: int) -> int:
    return AuditEvent.objects.filter(
        project=project, kind="level.changed", payload__to_level=level
    ).count()


def open_gate_one_to_two(org) -> LevelChangeRequest:
    """Project at level 1, checks passing on SHA_A, an open 1 -> 2 request by the researcher.

    Its gate needs one research-lead and one research-peer; nothing else is missing.
    """
    project = org.project
    project.card.tldr = "Detect defects in images."
    project.card.save()
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        project_services.project_level_apply(
            project=locked, to_level=1, actor=admin_actor(), reason="test set-up"
        )
    check_run_record_completed(
        project=project,
        commit_sha=SHA_A,
        results=[
            {"check_key": "readme_purpose", "outcome": "pass"},
            {"check_key": "experiment_records", "outcome": "pass"},
        ],
        actor=system_actor("worker"),
    )
    return services.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=2, commit_sha=SHA_A
    )


def reviewers(org, count: int) -> list:
    """``count`` research-team members, alternately research-lead and research-peer."""
    team = org.teams["research"]
    people = []
    for i in range(count):
        role = ReviewRole.objects.get(key="research-lead" if i % 2 == 0 else "research-peer")
        user = make_user(f"reviewer{i:02d}")
        project_services.membership_add(team=team, user=user, actor=admin_actor())
        project_services.role_grant(team=team, user=user, role=role, actor=admin_actor())
        people.append(user)
    return people


def approve(request: LevelChangeRequest, reviewer) -> Callable[[], SignOff]:
    return lambda: services.signoff_record(
        level_request=request, actor=reviewer, decision="approve"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_signoffs_change_the_level_exactly_once(org):
    request = open_gate_one_to_two(org)
    people = reviewers(org, THREADS)

    outcomes = run_at_once([approve(request, person) for person in people])

    assert_only_refusals(outcomes, too_late(request))
    request.refresh_from_db()
    org.project.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert org.project.level == 2
    assert level_changes_to(org.project, 2) == 1
    assert AuditEvent.objects.filter(project=org.project, kind="request.approve").count() == 1
    assert LevelChangeRequest.objects.filter(state=RequestState.APPROVED).count() == 1
    recorded = [o for o in outcomes if isinstance(o, SignOff)]
    assert len(recorded) == SignOff.objects.filter(request=request).count() >= 2
    assert audit_verify_all()[1] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_reviewer_submitting_twenty_times_at_once_leaves_one_signoff(org):
    request = open_gate_one_to_two(org)

    outcomes = run_at_once([approve(request, org.lead) for _ in range(THREADS)])

    assert errors(outcomes) == []
    assert {o.pk for o in outcomes} == {SignOff.objects.get(request=request, reviewer=org.lead).pk}
    assert AuditEvent.objects.filter(project=org.project, kind="signoff.recorded").count() == 1
    request.refresh_from_db()
    assert request.state == RequestState.OPEN  # the research-peer is still missing
    assert audit_verify_all()[1] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_double_submitting_fill_the_gate_once(org):
    request = open_gate_one_to_two(org)
    calls = [approve(request, org.lead) for _ in range(THREADS // 2)]
    calls += [approve(request, org.peer) for _ in range(THREADS // 2)]

    outcomes = run_at_once(calls)

    assert_only_refusals(outcomes, too_late(request))
    rows = Counter(SignOff.objects.filter(request=request).values_list("reviewer", flat=True))
    assert rows == {org.lead.pk: 1, org.peer.pk: 1}
    org.project.refresh_from_db()
    assert org.project.level == 2
    assert level_changes_to(org.project, 2) == 1
    assert audit_verify_all()[1] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_request_open_leave_one_active_request(org):
    team = org.teams["research"]
    askers = [org.researcher]
    for i in range(9):
        user = make_user(f"asker{i}")
        project_services.membership_add(team=team, user=user, actor=admin_actor())
        askers.append(user)

    outcomes = run_at_once(
        [
            lambda asker=asker: services.request_open(
                project=org.project, actor=asker, kind="advance", to_level=1
            )
            for asker in askers
        ]
    )

    opened = [o for o in outcomes if isinstance(o, LevelChangeRequest)]
    assert len(opened) == 1
    assert_only_refusals(
        outcomes,
        f"Vision model already has request #{opened[0].pk} under way (open); "
        "finish or withdraw it first.",
    )
    active = LevelChangeRequest.objects.filter(project=org.project, state__in=ACTIVE_STATES)
    assert list(active.values_list("pk", flat=True)) == [opened[0].pk]
    assert AuditEvent.objects.filter(project=org.project, kind="request.created").count() == 1
    assert audit_verify_all()[1] == []


# --- the database refuses a self-sign-off, whatever writes it ------------------------


def raw_signoff(request: LevelChangeRequest, reviewer) -> SignOff:
    return SignOff(
        request=request,
        reviewer=reviewer,
        role=ReviewRole.objects.get(key="research-lead"),
        team=request.project.team,
        independent=False,
        decision="approve",
    )


@pytest.fixture
def open_request(org) -> LevelChangeRequest:
    return services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1
    )


@pytest.mark.django_db
@pytest.mark.parametrize("write", ["create", "bulk_create"])
def test_database_refuses_a_raw_self_signoff(org, open_request, write):
    with pytest.raises(DatabaseError, match=SELF_SIGNOFF), transaction.atomic():
        if write == "create":
            SignOff.objects.create(**vars_of(raw_signoff(open_request, org.researcher)))
        else:
            SignOff.objects.bulk_create([raw_signoff(open_request, org.researcher)])
    assert not SignOff.objects.filter(request=open_request).exists()
    # The same raw write by someone else goes through: the trigger targets the requester only.
    SignOff.objects.bulk_create([raw_signoff(open_request, org.lead)])
    assert SignOff.objects.filter(request=open_request, reviewer=org.lead).count() == 1


@pytest.mark.django_db
def test_database_refuses_turning_a_signoff_into_a_self_signoff(org, open_request):
    signoff = SignOff.objects.bulk_create([raw_signoff(open_request, org.lead)])[0]
    with pytest.raises(DatabaseError, match=SELF_SIGNOFF), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).update(reviewer=org.researcher)
    assert SignOff.objects.get(pk=signoff.pk).reviewer_id == org.lead.pk


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_self_signoff_is_a_check_violation(org, open_request):
    with pytest.raises(IntegrityError, match=SELF_SIGNOFF) as refused, transaction.atomic():
        raw_signoff(open_request, org.researcher).save()
    assert refused.value.__cause__.sqlstate == "23514"  # check_violation


def vars_of(signoff: SignOff) -> dict[str, Any]:
    return {
        f: getattr(signoff, f)
        for f in ("request", "reviewer", "role", "team", "independent", "decision")
    }
