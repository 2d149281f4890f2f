"""``manage.py db_roles``: the SQL that gives web and worker a least-privilege role.

Migrations run as the role that owns the tables; web, worker and beat connect
as an application role that owns nothing. That role may SELECT, INSERT, UPDATE
and DELETE the application's tables, except the audit tables: events are
SELECT and INSERT only, chain heads additionally UPDATE of their two head
columns (``audit_record`` locks and advances them). Not owning a table, it can
neither ``ALTER TABLE ... DISABLE TRIGGER`` nor TRUNCATE (docs/deployment.md).

``--print`` writes the SQL (password as the psql variable ``:'app_password'``);
``--apply`` runs it on the default database as the connected (owning) role,
taking the role name and password from ``MLTRL_APP_DATABASE_URL``. Run it again
after every migration: tables created since are granted then.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from mltrl_site.env import database_from_url

AUDIT_TABLES = ("projects_auditevent", "projects_auditchain")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def role_sql(*, role: str, database: str, password_expr: str | None) -> list[str]:
    """The statements, in order; ``password_expr`` is a SQL literal or psql variable."""
    if not ROLE_NAME.match(role):
        raise CommandError(f"{role!r} is not a plain role name (a-z, 0-9, _).")
    db = '"' + database.replace('"', '""') + '"'
    statements = [
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"'{role}') THEN CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        "NOREPLICATION NOBYPASSRLS; END IF; END $$",
        # An existing role that could go around every grant is refused, not used.
        "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"'{role}' AND (rolsuper OR rolbypassrls)) THEN RAISE EXCEPTION "
        f"'role {role} is a superuser or bypasses row security; use another name'; "
        "END IF; END $$",
        f"ALTER ROLE {role} LOGIN",
    ]
    if password_expr is not None:
        statements.append(f"ALTER ROLE {role} PASSWORD {password_expr}")
    statements += [
        f"GRANT CONNECT ON DATABASE {db} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"REVOKE CREATE ON SCHEMA public FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    ]
    for table in AUDIT_TABLES:
        statements.append(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role}"
        )
    statements.append(f"GRANT UPDATE (last_seq, last_hash) ON projects_auditchain TO {role}")
    # Only migrate (the owner) records migrations; the app role just reads them.
    statements.append(f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role}")
    return statements


class Command(BaseCommand):
    help = "Print or apply the grants of the least-privilege application database role."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--print", action="store_true", help="print the SQL for psql")
        action.add_argument("--apply", action="store_true", help="run it on the database")
        parser.add_argument(
            "--role", help="role name (default: the user of MLTRL_APP_DATABASE_URL, or mltrl_app)"
        )

    def _app_database(self) -> dict | None:
        url = settings.MLTRL_APP_DATABASE_URL
        return database_from_url(url, name="MLTRL_APP_DATABASE_URL") if url else None

    def handle(self, *args, **options) -> None:
        app = self._app_database()
        role = options["role"] or (app["USER"] if app else "") or "mltrl_app"
        database = settings.DATABASES["default"]["NAME"]
        if options["print"]:
            self.stdout.write(
                f"-- Run as the owning role: psql -v app_password=... -d {database} -f <this>\n"
            )
            psql_variable = ":'app_password'"
            for statement in role_sql(role=role, database=database, password_expr=psql_variable):
                self.stdout.write(statement + ";")
            return
        if connection.vendor != "postgresql":
            raise CommandError("db_roles --apply needs PostgreSQL (DATABASE_URL=postgres://...).")
        password = app["PASSWORD"] if app else ""
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in role_sql(
                role=role, database=database, password_expr="%s" if password else None
            ):
                params = [password] if statement.endswith("PASSWORD %s") else None
                cursor.execute(statement, params)
        self.stdout.write(self.style.SUCCESS(f"Role {role} granted on {database}."))
