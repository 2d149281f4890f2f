"""The audit record holds against someone who can write the tables (issue 6).

Keyed hashes (a rehash without the key is caught), key rotation, the seal of
chains written before keying, completeness (a wiped or missing chain is
reported), anchors in a real file outside the database, and on PostgreSQL the
TRUNCATE trigger.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from projects import services
from projects.audit import ORG_CHAIN, event_digest
from projects.audit_anchor import audit_anchor_write
from projects.models import AuditChain, AuditEvent, Project
from projects.tasks import audit_anchor
from tests.org import admin_actor
from tests.projects.test_audit import chain_of, tamper, verify, verify_broken

seal_migration = importlib.import_module("projects.migrations.0004_audit_truncate_guard")


def rewrite(event: AuditEvent, *, payload: dict, prev_hash: str, key_id: str, digest: str):
    """Overwrite one event behind the ORM's back (trigger lifted on PostgreSQL)."""
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    tamper(
        f"UPDATE projects_auditevent SET payload = %s{cast}, prev_hash = %s, key_id = %s, "  # noqa: S608
        "hash = %s WHERE id = %s",
        [json.dumps(payload), prev_hash, key_id, digest, event.pk],
    )


def rehash_chain(project: Project, *, edit_seq: int, hasher) -> None:
    """Edit event ``edit_seq`` and recompute every hash with ``hasher(fields) -> (key_id, hash)``,
    head included: a forger's best effort without the key."""
    prev = ""
    for event in chain_of(project):
        payload = event.payload
        if event.seq == edit_seq:
            payload = {"description": {"from": "", "to": "forged"}}
        fields = dict(
            chain=event.chain,
            seq=event.seq,
            project_id=event.project_id,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=payload,
            created_at=event.created_at,
            prev_hash=prev,
        )
        key_id, digest = hasher(fields)
        rewrite(event, payload=payload, prev_hash=prev, key_id=key_id, digest=digest)
        prev = digest
    AuditChain.objects.filter(key=f"project:{project.pk}").update(last_hash=prev)


def plain_sha(fields: dict) -> tuple[str, str]:
    return "", event_digest(**fields, key_id="")


def guessed_key(fields: dict) -> tuple[str, str]:
    """The keyed body format, but HMAC'd with a key the forger made up."""
    body = {
        "chain": fields["chain"],
        "seq": fields["seq"],
        "project": fields["project_id"],
        "kind": fields["kind"],
        "actor": fields["actor_id"],
        "payload": fields["payload"],
        "created_at": fields["created_at"].isoformat(),
        "prev": fields["prev_hash"],
        "key": "k1",
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return "k1", hmac.new(b"guessed", raw, hashlib.sha256).hexdigest()


@pytest.fixture
def history(org):
    project = org.project
    for text in ("one", "two", "three"):
        services.project_update(project=project, actor=org.lead, description=text)
    return project


# --- keyed chain -------------------------------------------------------------------


@pytest.mark.django_db
def test_events_carry_the_key_id_and_an_hmac_not_a_plain_hash(history):
    events = chain_of(history)
    assert {e.key_id for e in events} == {"k1"}
    first = events[0]
    plain = event_digest(
        chain=first.chain,
        seq=first.seq,
        project_id=first.project_id,
        kind=first.kind,
        actor_id=first.actor_id,
        payload=first.payload,
        created_at=first.created_at,
        prev_hash="",
        key_id="",
    )
    assert first.hash != plain


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hasher", "problem"),
    [
        (plain_sha, "no keyed event seals the unkeyed ones"),
        (guessed_key, "content does not match its hash"),
    ],
    ids=["plain-sha256", "wrong-key"],
)
def test_a_rehash_without_the_key_is_detected(history, hasher, problem):
    rehash_chain(history, edit_seq=2, hasher=hasher)
    message, lines = verify_broken()
    assert message.startswith("1 of ")
    assert len(lines) == 1 and f"BROKEN project:{history.pk} at #" in lines[0]
    assert lines[0].endswith(problem)


@pytest.mark.django_db
def test_a_plain_rehash_of_the_tail_after_keyed_events_is_detected(history):
    events = chain_of(history)
    victim = events[2]
    payload = {"description": {"from": "one", "to": "forged"}}
    digest = event_digest(
        chain=victim.chain,
        seq=victim.seq,
        project_id=victim.project_id,
        kind=victim.kind,
        actor_id=victim.actor_id,
        payload=payload,
        created_at=victim.created_at,
        prev_hash=victim.prev_hash,
        key_id="",
    )
    rewrite(victim, payload=payload, prev_hash=victim.prev_hash, key_id="", digest=digest)
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{history.pk} at #3 (event id {victim.pk}): "
        "an unkeyed event follows keyed ones (rehashed without the key?)"
    ]


@pytest.mark.django_db
def test_rotation_keeps_old_events_verifiable_while_the_old_key_is_listed(history, settings):
    old_key = settings.MLTRL_AUDIT_KEY
    settings.MLTRL_AUDIT_KEY_ID = "k2"
    settings.MLTRL_AUDIT_KEY = "a-new-key-of-at-least-32-characters-long!"
    settings.MLTRL_AUDIT_KEYS_OLD = {"k1": old_key}
    services.project_update(project=history, actor=admin_actor(), description="after rotation")
    assert [e.key_id for e in chain_of(history)][-2:] == ["k1", "k2"]
    out, _ = verify()
    assert out.endswith("all intact.\n")

    settings.MLTRL_AUDIT_KEYS_OLD = {}
    _, lines = verify_broken()
    expected = f"BROKEN project:{history.pk} at #1 (event id {chain_of(history)[0].pk}): "
    assert expected + "signed with the unknown key id 'k1' (list it in MLTRL_AUDIT_KEYS_OLD)" in (
        lines
    )


@pytest.mark.django_db
def test_chains_from_before_keying_are_sealed_by_the_migration_and_then_hold(history):
    rehash_chain(history, edit_seq=0, hasher=plain_sha)  # as an old release wrote them
    _, lines = verify_broken()
    assert lines[0].endswith("no keyed event seals the unkeyed ones")

    with transaction.atomic():
        seal_migration.seal(global_apps, None)
    sealed = chain_of(history)
    assert [e.kind for e in sealed][-1] == "audit.keyed"
    assert sealed[-1].payload == {"key": "k1", "sealed_through": len(sealed) - 1}
    assert sum(1 for e in AuditEvent.objects.all() if e.kind == "audit.keyed") == 1
    out, _ = verify()
    assert out.endswith("all intact.\n")

    # Rewriting the unkeyed part now (even rehashed) breaks the keyed seal's link.
    legacy = [e for e in sealed if not e.key_id]
    rehash_legacy = {e.seq for e in legacy}
    prev = ""
    for event in legacy:
        payload = {"forged": True} if event.seq == 2 else event.payload
        digest = event_digest(
            chain=event.chain,
            seq=event.seq,
            project_id=event.project_id,
            kind=event.kind,
            actor_id=event.actor_id,
            payload=payload,
            created_at=event.created_at,
            prev_hash=prev,
            key_id="",
        )
        rewrite(event, payload=payload, prev_hash=prev, key_id="", digest=digest)
        prev = digest
    assert max(rehash_legacy) + 1 == sealed[-1].seq
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{history.pk} at #{sealed[-1].seq} (event id {sealed[-1].pk}): "
        "prev_hash does not match the event before"
    ]


# --- completeness ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wiped_log_is_reported_chain_by_chain(org, history):
    other = services.project_create(
        team=org.teams["engineering"], slug="other", name="Other", actor=admin_actor()
    )
    tamper("DELETE FROM projects_auditevent", [])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM projects_auditchain")
    message, lines = verify_broken()
    assert message == "3 of 3 audit chains are broken."
    assert lines == [
        "BROKEN org at #0 (no event): the chain has no events, not even its first event",
        f"BROKEN project:{history.pk} at #0 (no event): "
        "the chain has no events, not even the project's creation",
        f"BROKEN project:{other.pk} at #0 (no event): "
        "the chain has no events, not even the project's creation",
    ]


@pytest.mark.django_db
def test_a_project_without_its_creation_event_is_reported(org):
    bare = Project.objects.create(team=org.teams["research"], slug="bare", name="Bare")
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{bare.pk} at #0 (no event): "
        "the chain has no events, not even the project's creation"
    ]


@pytest.mark.django_db
def test_a_missing_first_event_and_a_wrong_head_hash_are_reported(org, history):
    first = chain_of(history)[0]
    tamper("DELETE FROM projects_auditevent WHERE id = %s", [first.pk])
    AuditChain.objects.filter(key=ORG_CHAIN).update(last_hash="0" * 64)
    _, lines = verify_broken()
    assert lines == [
        "BROKEN org at #"
        f"{AuditChain.objects.get(key=ORG_CHAIN).last_seq} (event id "
        f"{AuditEvent.objects.filter(chain=ORG_CHAIN).latest('seq').pk}): "
        "chain head's hash does not match the last event",
        f"BROKEN project:{history.pk} at #1 (no event): event #1 is missing",
    ]


# --- anchors -----------------------------------------------------------------------


def anchor_lines() -> list[dict]:
    path = Path(settings.MLTRL_AUDIT_ANCHOR_FILE)
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.django_db
def test_beat_anchors_every_chain_head_into_an_append_only_file(org, history):
    assert settings.CELERY_BEAT_SCHEDULE["audit-anchor"]["task"] == "projects.audit_anchor"
    assert audit_anchor.delay().get() == AuditChain.objects.count()
    services.project_update(project=history, actor=admin_actor(), description="later")
    audit_anchor.delay()
    first, second = anchor_lines()
    key = f"project:{history.pk}"
    head = AuditChain.objects.get(key=key)
    assert second["chains"][key] == [head.last_seq, head.last_hash]
    assert first["chains"][key][0] == head.last_seq - 1
    assert first["key"] == "k1" and len(first["mac"]) == 64
    out, _ = verify()
    assert out.endswith("all intact.\n")


@pytest.mark.django_db
def test_anchors_catch_a_chain_cut_back_consistently(history):
    audit_anchor_write()
    last = chain_of(history)[-1]
    tamper("DELETE FROM projects_auditevent WHERE id = %s", [last.pk])
    AuditChain.objects.filter(key=last.chain).update(
        last_seq=last.seq - 1, last_hash=last.prev_hash
    )
    at = anchor_lines()[0]["at"]
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN {last.chain} at #{last.seq} (no event): "
        f"went backwards: event #{last.seq}, anchored at {at}, is gone"
    ]


@pytest.mark.django_db
def test_anchors_catch_a_chain_rewritten_even_with_the_key(history):
    audit_anchor_write()

    def with_the_stolen_key(fields):
        return "k1", event_digest(**fields, key_id="k1")

    rehash_chain(history, edit_seq=2, hasher=with_the_stolen_key)
    at = anchor_lines()[0]["at"]
    _, lines = verify_broken()
    assert lines == [
        f"BROKEN project:{history.pk} at #{chain_of(history)[-1].seq} (no event): "
        f"changed under an anchor: event #{chain_of(history)[-1].seq} differs from its "
        f"anchor at {at}"
    ]


@pytest.mark.django_db
def test_an_edited_anchor_line_is_reported(history):
    audit_anchor_write()
    audit_anchor_write()
    path = Path(settings.MLTRL_AUDIT_ANCHOR_FILE)
    first, second = path.read_text().splitlines()
    record = json.loads(second)
    record["chains"][f"project:{history.pk}"][0] = 1
    path.write_text(first + "\n" + json.dumps(record) + "\nnot json\n")
    _, lines = verify_broken()
    assert lines == [
        "BROKEN anchors at #2 (no event): anchor line's signature does not match (edited?)",
        "BROKEN anchors at #3 (no event): anchor line is not a signed anchor record",
    ]


# --- TRUNCATE (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", ["projects_auditevent", "projects_auditchain"])
def test_postgres_refuses_to_truncate_the_audit_tables(history, table):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for statement in (f"TRUNCATE {table}", f"TRUNCATE {table} CASCADE"):
        with (
            pytest.raises(
                IntegrityError,
                match=rf"audit tables cannot be truncated \(TRUNCATE on {table}\)",
            ),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert AuditEvent.objects.filter(chain=f"project:{history.pk}").count() == 4
    out, _ = verify()
    assert out.endswith("all intact.\n")
