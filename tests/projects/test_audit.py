"""The hash-chained audit log: chains, gap-free sequence numbers, tamper detection,
append-only enforcement (ORM everywhere, trigger on PostgreSQL) and level history."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from projects import services
from projects.audit import ORG_CHAIN, audit_record, audit_verify_all, event_digest
from projects.models import AuditChain, AuditEvent, Project
from projects.selectors import project_level_at
from tests.org import admin_actor

TRIGGER = "projects_auditevent_append_only"
APPEND_ONLY_UPDATE = r"^Audit events are append-only; they cannot be updated\.$"
APPEND_ONLY_DELETE = r"^Audit events are append-only; they cannot be deleted\.$"


def chain_of(project: Project) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=f"project:{project.pk}").order_by("seq"))


def assert_linked(events: list[AuditEvent]) -> None:
    """Sequence 1..n without gaps, each event hashing its content and the previous hash."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    prev = ""
    for event in events:
        assert event.prev_hash == prev
        assert event.hash == event_digest(
            chain=event.chain,
            seq=event.seq,
            project_id=event.project_id,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=event.payload,
            created_at=event.created_at,
            prev_hash=event.prev_hash,
            key_id=event.key_id,
        )
        assert event.key_id == "k1"  # the development key's id
        prev = event.hash
    head = AuditChain.objects.get(key=events[0].chain)
    assert (head.last_seq, head.last_hash) == (len(events), prev)


def tamper(sql: str, params: list) -> None:
    """Write behind the ORM's back; on PostgreSQL the append-only trigger must be lifted."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # ALTER TABLE refuses while deferred FK checks of this test's transaction
            # are pending; run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE projects_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            cursor.execute(sql, params)
        finally:
            if postgres:
                cursor.execute(f"ALTER TABLE projects_auditevent ENABLE TRIGGER {TRIGGER}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


UPDATE_PAYLOAD = {
    "postgresql": "UPDATE projects_auditevent SET payload = %s::jsonb WHERE id = %s",
    "sqlite": "UPDATE projects_auditevent SET payload = %s WHERE id = %s",
}


def set_payload(event: AuditEvent, payload_json: str) -> None:
    tamper(UPDATE_PAYLOAD[connection.vendor], [payload_json, event.pk])


def verify() -> tuple[str, str]:
    """Run ``manage.py verify_audit``; return (stdout, stderr); let CommandError through."""
    out, err = StringIO(), StringIO()
    call_command("verify_audit", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_broken() -> tuple[str, list[str]]:
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_audit", stdout=StringIO(), stderr=err)
    return str(failed.value), err.getvalue().splitlines()


@pytest.fixture
def history(org):
    """The org project with a few events on its chain, and a second project beside it."""
    project = org.project
    services.project_update(project=project, actor=org.lead, description="Finds defects.")
    services.project_update(project=project, actor=org.lead, name="Vision model v2")
    services.project_update(project=project, actor=org.lead, description="Finds more defects.")
    other = services.project_create(
        team=org.teams["engineering"], slug="other", name="Other", actor=admin_actor()
    )
    return project, other


# --- chains and sequence numbers ---------------------------------------------------


@pytest.mark.django_db
def test_each_project_has_its_own_contiguous_chain(org, history):
    project, other = history
    events = chain_of(project)
    assert [e.kind for e in events] == ["project.created"] + ["project.updated"] * 3
    assert all(e.project_id == project.pk for e in events)
    assert events[1].payload == {"description": {"from": "", "to": "Finds defects."}}
    assert events[1].actor_id == org.lead.pk
    assert_linked(events)
    assert [e.kind for e in chain_of(other)] == ["project.created"]
    assert_linked(chain_of(other))


@pytest.mark.django_db
def test_team_and_role_changes_go_to_the_org_chain(org):
    events = list(AuditEvent.objects.filter(chain=ORG_CHAIN).order_by("seq"))
    assert all(e.project_id is None for e in events)
    assert_linked(events)
    people = [
        (e.kind, e.payload)
        for e in events
        if e.kind in {"membership.added", "role.granted"} and e.payload["user"] == "lead"
    ]
    assert people == [
        ("membership.added", {"team": "research", "user": "lead"}),
        ("role.granted", {"team": "research", "user": "lead", "role": "research-lead"}),
    ]
    services.membership_remove(team=org.teams["research"], user=org.lead, actor=admin_actor())
    tail = list(AuditEvent.objects.filter(chain=ORG_CHAIN).order_by("-seq")[:2])
    assert [(e.kind, e.payload.get("role")) for e in reversed(tail)] == [
        ("role.revoked", "research-lead"),
        ("membership.removed", None),
    ]
    assert not AuditEvent.objects.filter(
        chain=f"project:{org.project.pk}", kind__startswith="membership"
    ).exists()


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_gap_in_the_sequence(org, history):
    project, _ = history
    with pytest.raises(RuntimeError, match="abandoned"), transaction.atomic():
        services.project_update(project=project, description="never happened", actor=admin_actor())
        raise RuntimeError("abandoned")
    services.project_update(project=project, description="kept", actor=admin_actor())

    events = chain_of(project)
    assert_linked(events)
    assert events[-1].payload["description"]["to"] == "kept"
    assert all(e.payload.get("description", {}).get("to") != "never happened" for e in events)


# --- verify_audit ------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_audit_succeeds_on_an_intact_log(org, history):
    checked, breaks = audit_verify_all()
    assert breaks == []
    assert checked >= 3  # org and the two projects
    out, err = verify()
    assert out.strip() == f"{checked} audit chains verified, all intact."
    assert err == ""


@pytest.mark.django_db
def test_verify_audit_reports_the_one_tampered_event(org, history):
    project, _ = history
    victim = chain_of(project)[2]
    checked, _ = audit_verify_all()

    set_payload(victim, '{"name": {"from": "Vision model", "to": "Something else"}}')

    message, lines = verify_broken()
    assert message == f"1 of {checked} audit chains are broken."
    assert lines == [
        f"BROKEN project:{project.pk} at #3 (event id {victim.pk}): content does not match its hash"
    ]


@pytest.mark.django_db
def test_verify_audit_follows_a_rehashed_forgery_to_the_next_link(org, history):
    project, _ = history
    victim, following = chain_of(project)[1:3]
    forged_payload = {"description": {"from": "", "to": "forged"}}
    forged_hash = event_digest(
        chain=victim.chain,
        seq=victim.seq,
        project_id=victim.project_id,
        kind=victim.kind,
        actor_id=victim.actor_id,
        payload=forged_payload,
        created_at=victim.created_at,
        prev_hash=victim.prev_hash,
        key_id=victim.key_id,
    )
    set_payload(victim, '{"description": {"from": "", "to": "forged"}}')
    tamper("UPDATE projects_auditevent SET hash = %s WHERE id = %s", [forged_hash, victim.pk])

    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{project.pk} at #3 (event id {following.pk}): "
        "prev_hash does not match the event before"
    ]


@pytest.mark.django_db
def test_verify_audit_reports_a_deleted_event_as_a_gap(org, history):
    project, _ = history
    victim = chain_of(project)[1]
    tamper("DELETE FROM projects_auditevent WHERE id = %s", [victim.pk])

    message, lines = verify_broken()
    assert message.startswith("1 of ")
    assert lines == [f"BROKEN project:{project.pk} at #2 (no event): event #2 is missing"]


@pytest.mark.django_db
def test_verify_audit_reports_a_deleted_last_event_against_the_chain_head(org, history):
    project, _ = history
    last = chain_of(project)[-1]
    tamper("DELETE FROM projects_auditevent WHERE id = %s", [last.pk])

    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{project.pk} at #3 (no event): chain head says 4 events were written"
    ]


# --- append-only ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_orm_refuses_to_update_or_delete_events(org):
    event = chain_of(org.project)[0]
    event.kind = "project.forged"
    with pytest.raises(TypeError, match=APPEND_ONLY_UPDATE):
        event.save()
    with pytest.raises(TypeError, match=APPEND_ONLY_DELETE):
        event.delete()
    with pytest.raises(TypeError, match=APPEND_ONLY_UPDATE):
        AuditEvent.objects.filter(pk=event.pk).update(kind="project.forged")
    with pytest.raises(TypeError, match=APPEND_ONLY_DELETE):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError, match=APPEND_ONLY_UPDATE):
        org.project.audit_events.update(kind="project.forged")
    # bulk_update runs in its own atomic block; a savepoint keeps the test's usable.
    with pytest.raises(TypeError, match=APPEND_ONLY_UPDATE), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["kind"])
    assert AuditEvent.objects.get(pk=event.pk).kind == "project.created"
    assert audit_verify_all()[1] == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_trigger_refuses_raw_update_and_delete_then_tampering_is_caught(org, history):
    project, _ = history
    victim = chain_of(project)[1]
    for sql, operation in [
        ("UPDATE projects_auditevent SET kind = 'forged' WHERE id = %s", "UPDATE"),
        ("DELETE FROM projects_auditevent WHERE id = %s", "DELETE"),
    ]:
        with (
            pytest.raises(
                IntegrityError, match=rf"audit events are append-only \({operation} refused\)"
            ),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [victim.pk])
    assert AuditEvent.objects.get(pk=victim.pk).kind == "project.updated"

    set_payload(victim, '{"description": {"from": "", "to": "rewritten"}}')  # trigger lifted
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{project.pk} at #2 (event id {victim.pk}): content does not match its hash"
    ]
    # The trigger is back on: the next raw write is refused again.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM projects_auditevent WHERE id = %s", [victim.pk])


@pytest.mark.django_db(transaction=True)
def test_audit_record_and_level_apply_refuse_to_run_outside_a_transaction(org):
    before = AuditEvent.objects.count()
    with pytest.raises(
        RuntimeError, match=r"^audit_record must run inside the transaction of the change\.$"
    ):
        audit_record(kind="project.touched", project=org.project)
    with pytest.raises(
        RuntimeError, match=r"^project_level_apply must run inside the caller's transaction\.$"
    ):
        services.project_level_apply(
            project=org.project, to_level=1, actor=admin_actor(), reason="x"
        )
    assert AuditEvent.objects.count() == before
    assert Project.objects.get(pk=org.project.pk).level == 0


# --- level history -----------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The audit log's clock, set by the test: events get exactly the times it chose."""
    state = {"now": timezone.now() + timedelta(hours=1)}

    class Clock:
        @staticmethod
        def now():
            return state["now"]

    monkeypatch.setattr("projects.audit.timezone", Clock)
    return state


def level_apply(project: Project, to_level: int) -> AuditEvent:
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        services.project_level_apply(
            project=locked, to_level=to_level, actor=admin_actor(), reason="t"
        )
    return AuditEvent.objects.filter(project=project, kind="level.changed").latest("seq")


def midpoint(a: AuditEvent, b: AuditEvent):
    return a.created_at + (b.created_at - a.created_at) / 2


@pytest.mark.django_db
def test_project_level_at_answers_past_levels(org, clock):
    project = org.project
    created = chain_of(project)[0]
    start = clock["now"]
    up1 = level_apply(project, 1)
    clock["now"] = start + timedelta(minutes=1)
    up2 = level_apply(project, 2)
    clock["now"] = start + timedelta(minutes=2)
    services.project_update(project=project, description="not a level change", actor=admin_actor())
    clock["now"] = start + timedelta(minutes=3)
    back = level_apply(project, 1)  # a switchback
    assert (up1.created_at, up2.created_at) == (start, start + timedelta(minutes=1))
    assert created.created_at < up1.created_at < up2.created_at < back.created_at

    tick = timedelta(microseconds=1)
    assert project_level_at(project, created.created_at - tick) is None
    assert project_level_at(project, created.created_at) == 0
    assert project_level_at(project, midpoint(created, up1)) == 0
    assert project_level_at(project, up1.created_at) == 1
    assert project_level_at(project, midpoint(up1, up2)) == 1
    assert project_level_at(project, midpoint(up2, back)) == 2
    assert project_level_at(project, back.created_at - tick) == 2
    assert project_level_at(project, back.created_at) == 1
    assert project_level_at(project, back.created_at + timedelta(days=365)) == 1


@pytest.mark.django_db
def test_project_level_apply_refuses_a_level_outside_the_scale(org):
    with pytest.raises(ValidationError, match=r"Level 10 is outside 0-9\."), transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=org.project.pk)
        services.project_level_apply(project=locked, to_level=10, actor=admin_actor(), reason="t")
    assert not AuditEvent.objects.filter(kind="level.changed").exists()
