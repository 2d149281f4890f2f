"""docker-compose.yml, the Dockerfile and docs/deployment.md agree with settings.py.

Docker does not run here and PyYAML is not a dependency, so the compose file is
read as text: it is written in a plain block style (two-space indents, one
``KEY: value`` per environment line) that these helpers rely on.
"""

from __future__ import annotations

import ast
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list", "env_secret", "key_derived"}


def settings_env_names() -> set[str]:
    """Every variable the settings modules read through the env helpers (``*_FILE`` for
    secrets; ``key_derived`` reads a secret too)."""
    names: set[str] = set()
    for module in sorted((ROOT / "mltrl_site").glob("settings*.py")):
        names |= _env_names(ast.parse(module.read_text(encoding="utf-8")))
    # database_from_url() is given the value of DATABASE_URL, read by env_str above.
    return names


def _env_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ENV_READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
            if node.func.id in ("env_secret", "key_derived"):
                names.add(f"{node.args[0].value}_FILE")
    return names


def block(text: str, key: str, indent: int = 0) -> str:
    """The lines nested under ``key:`` found at ``indent`` spaces (a YAML block mapping)."""
    lines = text.splitlines()
    pattern = re.compile(rf"^ {{{indent}}}{re.escape(key)}:(\s|$)")
    for index, line in enumerate(lines):
        if pattern.match(line):
            body = []
            for following in lines[index + 1 :]:
                stripped = following.strip()
                nested = len(following) - len(following.lstrip()) > indent
                if stripped and not stripped.startswith("#") and not nested:
                    break
                body.append(following)
            return "\n".join(body)
    raise AssertionError(f"no {key!r} at indent {indent}")


def keys(text: str, indent: int) -> list[str]:
    return re.findall(rf"^ {{{indent}}}([A-Za-z_][\w.-]*):", text, flags=re.MULTILINE)


def env_block(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+([A-Z][A-Z0-9_]*): (.*)$", text, flags=re.MULTILINE))


SERVICES = block(COMPOSE, "services")
APP_ENV = env_block(block(block(COMPOSE, "x-app"), "environment", 2))


def service(name: str) -> str:
    return block(SERVICES, name, 2)


# migrate alone overrides parts of the shared environment (it connects as the owner).
MIGRATE_ENV = env_block(block(service("migrate"), "environment", 4))


def test_services_exist():
    assert set(keys(SERVICES, 2)) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert "image: postgres:16" in service("postgres")
    assert "image: redis:7" in service("redis")
    for name in ("migrate", "web", "worker", "beat"):
        assert "<<: *app" in service(name), name


def test_every_app_variable_is_read_by_settings():
    names = settings_env_names()
    assert {"DEBUG", "SECRET_KEY_FILE", "DATABASE_URL", "CELERY_BROKER_URL"} <= names
    every_env_key = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", COMPOSE, flags=re.MULTILINE))
    postgres_only = {k for k in every_env_key if k.startswith("POSTGRES_")}
    assert postgres_only == set(env_block(block(service("postgres"), "environment", 4)))
    assert every_env_key - postgres_only == set(APP_ENV) | set(MIGRATE_ENV)
    assert (set(APP_ENV) | set(MIGRATE_ENV)) - names == set()


def test_app_environment_is_production():
    assert APP_ENV["DEBUG"] == '"0"'
    assert APP_ENV["USE_X_FORWARDED_PROTO"] == '"1"'
    assert APP_ENV["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    # web, worker and beat connect as the least-privilege role, never as the owner.
    assert re.fullmatch(
        r"postgres://mltrl_app:\$\{MLTRL_APP_DB_PASSWORD:\?[^}]+\}@postgres:5432/mltrl",
        APP_ENV["DATABASE_URL"],
    )
    assert "POSTGRES_PASSWORD" not in APP_ENV["DATABASE_URL"]
    assert APP_ENV["MLTRL_AUDIT_KEY_FILE"] == "/run/secrets/audit_key"
    assert "MLTRL_AUDIT_KEY" not in APP_ENV
    assert "    file: ./secrets/audit_key" in block(COMPOSE, "secrets")
    assert "audit_key" in block(block(COMPOSE, "x-app"), "secrets", 2)
    assert APP_ENV["ALLOWED_HOSTS"].startswith("${ALLOWED_HOSTS:?")
    assert "SECRET_KEY" not in APP_ENV  # the key comes from the secret file only
    assert APP_ENV["SECRET_KEY_FILE"] == "/run/secrets/secret_key"
    assert "    file: ./secrets/secret_key" in block(COMPOSE, "secrets")
    assert "secret_key" in block(block(COMPOSE, "x-app"), "secrets", 2)


def test_postgres_and_redis_keep_data_and_report_health():
    postgres, redis = service("postgres"), service("redis")
    assert "postgres-data:/var/lib/postgresql/data" in postgres
    assert "pg_isready" in block(postgres, "healthcheck", 4)
    assert "redis-data:/data" in redis and "redis-cli" in redis
    volumes = keys(block(COMPOSE, "volumes"), 2)
    assert {"postgres-data", "redis-data", "beat-schedule"} <= set(volumes)


def test_migrate_runs_once_before_the_app_processes():
    migrate = service("migrate")
    assert (
        'command: ["sh", "-c", "python manage.py migrate --no-input'
        ' && python manage.py db_roles --apply"]'
    ) in migrate
    assert 'restart: "no"' in migrate
    app_depends = block(block(COMPOSE, "x-app"), "depends_on", 2)
    assert "migrate:\n      condition: service_completed_successfully" in app_depends
    assert "condition: service_healthy" in block(migrate, "depends_on", 4)


def test_web_runs_gunicorn_on_8000():
    web = service("web")
    assert "- gunicorn\n      - mltrl_site.wsgi:application\n      - --bind=0.0.0.0:8000" in web
    assert '"8000:8000"' in web


def test_only_migrate_connects_as_the_owning_role():
    assert "<<: *app-environment" in block(service("migrate"), "environment", 4)
    assert re.fullmatch(
        r"postgres://mltrl:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/mltrl",
        MIGRATE_ENV["DATABASE_URL"],
    )
    assert MIGRATE_ENV["MLTRL_APP_DATABASE_URL"] == APP_ENV["DATABASE_URL"]
    owner_urls = re.findall(r"postgres://mltrl:", COMPOSE)
    assert len(owner_urls) == 1  # the migrate service's, nowhere else
    for name in ("web", "worker", "beat"):
        assert "environment:" not in service(name), name  # they keep the app role's URL


def test_beat_anchors_the_audit_chains_on_a_volume_of_its_own():
    anchor_file = APP_ENV["MLTRL_AUDIT_ANCHOR_FILE"]
    mounts = re.findall(r"- ([\w-]+):(/\S+)", block(service("beat"), "volumes", 4))
    assert ("audit-anchors", str(Path(anchor_file).parent)) in mounts
    assert "audit-anchors" in keys(block(COMPOSE, "volumes"), 2)
    assert "/var/lib/mltrl-anchors" in DOCKERFILE  # created and owned by the image's user


def test_gunicorn_trusts_forwarded_headers_only_from_the_configured_proxy():
    web = service("web")
    flags = re.findall(r'"--forwarded-allow-ips=([^"\n]+)"', web)
    assert flags == ["${FORWARDED_ALLOW_IPS:?set FORWARDED_ALLOW_IPS in .env to the proxy address}"]
    assert "--forwarded-allow-ips=*" not in web
    # The login throttle trusts X-Forwarded-For from the same proxy, and only from it.
    assert APP_ENV["MLTRL_TRUSTED_PROXIES"] == flags[0]
    deployment = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "`FORWARDED_ALLOW_IPS`" in deployment
    assert "--forwarded-allow-ips" in deployment


def test_worker_is_scalable():
    worker = service("worker")
    command = re.search(r"command: \[(.*)\]", worker).group(1)
    assert command.startswith('"celery", "-A", "mltrl_site", "worker", "-l", "info"')
    # The worker consumes every queue a task is routed to.
    consumed = set(re.search(r'"-Q", "([^"]+)"', command).group(1).split(","))
    settings_text = (ROOT / "mltrl_site" / "settings.py").read_text(encoding="utf-8")
    routed = set(re.findall(r'\{"queue": "([\w.-]+)"\}', settings_text))
    default = re.search(r'CELERY_TASK_DEFAULT_QUEUE = "([\w.-]+)"', settings_text)
    routed.add(default.group(1) if default else "celery")
    for tasks in ROOT.glob("*/tasks.py"):
        routed |= set(re.findall(r'queue="([\w.-]+)"', tasks.read_text(encoding="utf-8")))
    assert routed <= consumed, routed - consumed
    # --scale needs generated names and no fixed host port.
    assert "container_name" not in COMPOSE
    assert "ports:" not in worker and "ports:" not in block(COMPOSE, "x-app")


def test_beat_keeps_its_schedule_in_a_volume():
    beat = service("beat")
    assert "- beat\n" in beat and "- mltrl_site\n" in beat
    schedule = re.search(r"--schedule=(\S+)", beat).group(1)
    mounts = re.findall(r"- ([\w-]+):(/\S+)", block(beat, "volumes", 4))
    assert any(
        volume in keys(block(COMPOSE, "volumes"), 2) and schedule.startswith(path + "/")
        for volume, path in mounts
    ), (schedule, mounts)


def test_dockerfile_builds_the_image_the_compose_file_expects():
    assert DOCKERFILE.count("FROM ") == 1 and "FROM python:3.11-slim" in DOCKERFILE
    assert re.search(r"^RUN pip install \.", DOCKERFILE, flags=re.MULTILINE)
    assert "manage.py collectstatic --no-input" in DOCKERFILE
    assert "EXPOSE 8000" in DOCKERFILE and "mltrl_site.wsgi:application" in DOCKERFILE
    assert "USER mltrl" in DOCKERFILE
    env_lines = re.findall(r"^ENV (.*(?:\\\n.*)*)", DOCKERFILE, flags=re.MULTILINE)
    image_env = set(re.findall(r"([A-Z][A-Z0-9_]*)=", " ".join(env_lines)))
    ours = {name for name in image_env if not name.startswith(("PYTHON", "PIP_"))}
    assert ours and ours <= settings_env_names()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", ".env", "secrets", "var"} <= set(ignored)


def _compose_env(secret_file: Path) -> dict[str, str]:
    """The app environment with ${VAR:?...} filled in and ${VAR:-default} defaulted."""
    given = {
        "ALLOWED_HOSTS": "mltrl.example.com",
        "POSTGRES_PASSWORD": "pw",
        "MLTRL_APP_DB_PASSWORD": "app-pw",
        "FORWARDED_ALLOW_IPS": "172.18.0.1",
        "CSRF_TRUSTED_ORIGINS": "https://mltrl.example.com",
    }

    def fill(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        return given[name] if op == ":?" else given.get(name, arg)

    env = {}
    for name, raw in APP_ENV.items():
        value = re.sub(r"\$\{(\w+)(:\?|:-)([^}]*)\}", fill, raw.strip('"'))
        env[name] = value
    env["SECRET_KEY_FILE"] = str(secret_file)
    audit_key = secret_file.parent / "audit_key"
    audit_key.write_text(secrets.token_urlsafe(50) + "\n", encoding="utf-8")
    env["MLTRL_AUDIT_KEY_FILE"] = str(audit_key)
    env["MLTRL_AUDIT_ANCHOR_FILE"] = str(secret_file.parent / "anchors" / "audit.jsonl")
    env["MLTRL_VAR_DIR"] = str(secret_file.parent / "var")
    return env


def test_settings_load_from_the_compose_environment_and_pass_deploy_checks(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(secrets.token_urlsafe(50) + "\n", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "mltrl_site.settings",
        **_compose_env(secret_file),
    }
    probe = (
        "import django; django.setup();"
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'], s.DEBUG,"
        " s.ALLOWED_HOSTS, s.CELERY_BROKER_URL, s.SECURE_PROXY_SSL_HEADER)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a bound on a hang only; generous for a loaded machine
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.split() == [
        "django.db.backends.postgresql",
        "postgres",
        "5432",
        "mltrl",
        "mltrl_app",
        "False",
        "['mltrl.example.com']",
        "redis://redis:6379/0",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a bound on a hang only; generous for a loaded machine
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize("name", sorted(settings_env_names()))
def test_deployment_doc_describes_every_setting_variable(name):
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert f"`{name}`" in text
