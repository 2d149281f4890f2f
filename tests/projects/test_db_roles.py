"""The least-privilege application role (``manage.py db_roles``) on real PostgreSQL.

The test creates the role in the test cluster under a unique name, connects as
it, and shows that it can read and append audit events and advance a chain head
but cannot update, delete, truncate or disable the triggers of the audit tables.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from projects.models import AuditEvent
from tests.projects.test_audit import verify, verify_broken

REPO = Path(__file__).resolve().parents[2]


def test_print_gives_the_grants_without_a_password():
    out = StringIO()
    call_command("db_roles", "--print", "--role", "mltrl_app", stdout=out)
    text = out.getvalue()
    assert "ALTER ROLE mltrl_app PASSWORD :'app_password';" in text
    assert (
        "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON projects_auditevent "
        "FROM mltrl_app;"
    ) in text
    assert "GRANT UPDATE (last_seq, last_hash) ON projects_auditchain TO mltrl_app;" in text


def test_a_role_name_that_is_not_plain_is_refused():
    with pytest.raises(CommandError, match="is not a plain role name"):
        call_command("db_roles", "--print", "--role", "x; DROP TABLE y", stdout=StringIO())


@pytest.fixture
def app_role(settings):
    """A fresh role granted by ``db_roles --apply``; dropped afterwards (roles are per cluster)."""
    role = f"mltrl_app_test_{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    db = settings.DATABASES["default"]
    settings.MLTRL_APP_DATABASE_URL = (
        f"postgres://{role}:{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/x"
    )
    out = StringIO()
    call_command("db_roles", "--apply", stdout=out)
    assert out.getvalue().strip() == f"Role {role} granted on {db['NAME']}."
    yield role, password
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def connect_as(role: str, password: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "localhost",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=role,
        password=password,
        autocommit=True,
    )


REFUSED = [
    ("UPDATE projects_auditevent SET kind = 'forged'", "permission denied for table"),
    ("DELETE FROM projects_auditevent", "permission denied for table projects_auditevent"),
    ("TRUNCATE projects_auditevent", "permission denied for table projects_auditevent"),
    ("TRUNCATE projects_auditchain", "permission denied for table projects_auditchain"),
    ("DELETE FROM projects_auditchain", "permission denied for table projects_auditchain"),
    ("UPDATE projects_auditchain SET key = 'x'", "permission denied for table"),
    (
        "ALTER TABLE projects_auditevent DISABLE TRIGGER projects_auditevent_append_only",
        "must be owner of table projects_auditevent",
    ),
    ("ALTER TABLE projects_auditevent DISABLE TRIGGER ALL", "must be owner of table"),
    ("ALTER TABLE projects_auditchain DISABLE TRIGGER ALL", "must be owner of table"),
    ("DROP TRIGGER projects_auditevent_append_only ON projects_auditevent", "must be owner"),
    ("SET session_replication_role = replica", "permission denied to set parameter"),
    ("CREATE TABLE scratch (id int)", "permission denied for schema public"),
    ("DELETE FROM django_migrations", "permission denied for table django_migrations"),
]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_appends_audit_events_and_is_refused_everything_else(org, app_role):
    role, password = app_role
    project = org.project
    # The real application, connected as the role, records an event through audit_record.
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "MLTRL_"))},
        "DATABASE_URL": (
            f"postgres://{role}:{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        ),
        "MLTRL_VAR_DIR": os.environ.get("MLTRL_VAR_DIR", str(REPO / "var")),
    }
    script = (
        "from django.db import transaction\n"
        "from projects.audit import audit_record\n"
        "from projects.models import Project\n"
        f"project = Project.objects.get(pk={project.pk})\n"
        "with transaction.atomic():\n"
        "    print(audit_record(kind='probe.app-role', project=project))"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("probe.app-role")
    assert AuditEvent.objects.filter(kind="probe.app-role").count() == 1
    out, _ = verify()
    assert out.endswith("all intact.\n")

    with connect_as(role, password) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM projects_auditevent")
        assert cursor.fetchone()[0] == AuditEvent.objects.count()
        cursor.execute("UPDATE projects_project SET name = name WHERE id = %s", [project.pk])
        assert cursor.rowcount == 1  # the rest of the application stays writable
        for statement, message in REFUSED:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=message):
                cursor.execute(statement)
        # Appending a forged event is possible (INSERT is the role's job) but it
        # cannot carry a valid keyed hash, so verify_audit reports it.
        cursor.execute(
            "INSERT INTO projects_auditevent (chain, seq, project_id, kind, payload, created_at,"
            " prev_hash, hash, key_id) SELECT key, last_seq + 1, %s, 'forged', '{}', now(),"
            " last_hash, %s, 'k1' FROM projects_auditchain WHERE key = %s",
            [project.pk, "0" * 64, f"project:{project.pk}"],
        )
    _, lines = verify_broken()
    assert lines[0].endswith("content does not match its hash")
    assert AuditEvent.objects.filter(kind="forged").count() == 1
