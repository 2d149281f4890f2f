"""Key the audit chain and refuse TRUNCATE of the audit tables.

1. ``AuditEvent.key_id``: the id of the key whose HMAC is the event's hash;
   events already written get "" (they were hashed with plain SHA-256).
2. On PostgreSQL, a statement-level trigger refuses TRUNCATE of the event and
   chain tables (row triggers do not fire on TRUNCATE).
3. Seal: every chain that holds events gets one keyed ``audit.keyed`` event
   whose hash (HMAC with the current MLTRL_AUDIT_KEY) covers the last unkeyed
   hash. Rewriting the unkeyed events then breaks the seal's link, and
   ``verify_audit`` accepts unkeyed events only before a chain's first keyed
   event. Rehashing old events in place instead would have needed the
   append-only trigger lifted and would vouch for whatever they held by then.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

TABLES = ("projects_auditevent", "projects_auditchain")
CREATE = """
CREATE OR REPLACE FUNCTION mltrl_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit tables cannot be truncated (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = """
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION mltrl_audit_no_truncate();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in TABLES:
        schema_editor.execute(TRIGGER.format(table=table), params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS mltrl_audit_no_truncate()", params=None)


def seal(apps, schema_editor):
    from projects.audit import event_digest

    AuditChain = apps.get_model("projects", "AuditChain")
    AuditEvent = apps.get_model("projects", "AuditEvent")
    key_id = settings.MLTRL_AUDIT_KEY_ID
    for head in AuditChain.objects.filter(last_seq__gt=0).order_by("key"):
        last = AuditEvent.objects.filter(chain=head.key).order_by("-seq").first()
        if last is None or last.key_id:
            continue
        seq, created_at = head.last_seq + 1, timezone.now()
        payload = {"key": key_id, "sealed_through": head.last_seq}
        digest = event_digest(
            chain=head.key,
            seq=seq,
            project_id=last.project_id,
            kind="audit.keyed",
            actor_id=None,
            payload=payload,
            created_at=created_at,
            prev_hash=head.last_hash,
            key_id=key_id,
        )
        AuditEvent.objects.create(
            chain=head.key,
            seq=seq,
            project_id=last.project_id,
            kind="audit.keyed",
            actor_id=None,
            payload=payload,
            created_at=created_at,
            prev_hash=head.last_hash,
            hash=digest,
            key_id=key_id,
        )
        AuditChain.objects.filter(key=head.key).update(last_seq=seq, last_hash=digest)


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_membership_maintainer")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.RunPython(guard, unguard),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
