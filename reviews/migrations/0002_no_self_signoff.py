"""Refuse, at the database, a sign-off by the request's own requester.

The service refuses it first with a readable message; this trigger makes the
rule hold for raw ORM writes, the admin and any future code path.
"""

from django.db import migrations

PG_CREATE = """
CREATE OR REPLACE FUNCTION mltrl_no_self_signoff() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM reviews_levelchangerequest r
               WHERE r.id = NEW.request_id AND r.requester_id = NEW.reviewer_id) THEN
        RAISE EXCEPTION 'a requester cannot sign off their own request'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reviews_signoff_no_self
    BEFORE INSERT OR UPDATE ON reviews_signoff
    FOR EACH ROW EXECUTE FUNCTION mltrl_no_self_signoff();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS reviews_signoff_no_self ON reviews_signoff;
DROP FUNCTION IF EXISTS mltrl_no_self_signoff();
"""
SQLITE_CREATE = [
    """
    CREATE TRIGGER reviews_signoff_no_self_insert BEFORE INSERT ON reviews_signoff
    WHEN EXISTS (SELECT 1 FROM reviews_levelchangerequest r
                 WHERE r.id = NEW.request_id AND r.requester_id = NEW.reviewer_id)
    BEGIN SELECT RAISE(ABORT, 'a requester cannot sign off their own request'); END;
    """,
    """
    CREATE TRIGGER reviews_signoff_no_self_update BEFORE UPDATE ON reviews_signoff
    WHEN EXISTS (SELECT 1 FROM reviews_levelchangerequest r
                 WHERE r.id = NEW.request_id AND r.requester_id = NEW.reviewer_id)
    BEGIN SELECT RAISE(ABORT, 'a requester cannot sign off their own request'); END;
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS reviews_signoff_no_self_insert",
    "DROP TRIGGER IF EXISTS reviews_signoff_no_self_update",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
