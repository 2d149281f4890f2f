"""On PostgreSQL, refuse UPDATE and DELETE of audit events at the database."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION mltrl_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER projects_auditevent_append_only
    BEFORE UPDATE OR DELETE ON projects_auditevent
    FOR EACH ROW EXECUTE FUNCTION mltrl_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS projects_auditevent_append_only ON projects_auditevent;
DROP FUNCTION IF EXISTS mltrl_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
