"""Refuse, at the database, changing a request's requester or project.

Separation of duties rests on who opened a request (the self-sign-off trigger of
0002 compares against it) and on which project it belongs to; a raw
``UPDATE ... SET requester_id`` to someone who already approved would defeat
both. The services never change these columns; this trigger makes the rule
hold for raw SQL, the admin and any future code path. Rewriting a row with the
same values (a plain ``save()``) passes.
"""

from django.db import migrations

MESSAGE = "the requester and project of a request cannot change"

PG_CREATE = f"""
CREATE OR REPLACE FUNCTION mltrl_request_immutable_parties() RETURNS trigger AS $$
BEGIN
    IF NEW.requester_id IS DISTINCT FROM OLD.requester_id
       OR NEW.project_id IS DISTINCT FROM OLD.project_id THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_request_immutable_parties
    BEFORE UPDATE ON reviews_levelchangerequest
    FOR EACH ROW EXECUTE FUNCTION mltrl_request_immutable_parties();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS reviews_request_immutable_parties ON reviews_levelchangerequest;
DROP FUNCTION IF EXISTS mltrl_request_immutable_parties();
"""
SQLITE_CREATE = f"""
CREATE TRIGGER reviews_request_immutable_parties
BEFORE UPDATE OF requester_id, project_id ON reviews_levelchangerequest
WHEN NEW.requester_id IS NOT OLD.requester_id OR NEW.project_id IS NOT OLD.project_id
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS reviews_request_immutable_parties"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_no_self_signoff")]
    operations = [migrations.RunPython(forwards, backwards)]
