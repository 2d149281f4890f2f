"""Settings from the environment: bad values fail at start-up, naming the variable.

The start-up tests run ``manage.py check`` in a subprocess with a clean
environment plus the variable under test, exactly as a deployment would start.
The helpers of ``mltrl_site.env`` are unit-tested on their own below.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from mltrl_site.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    parse_keyring,
)

REPO = Path(__file__).resolve().parent.parent
# Everything settings.py reads; the subprocess starts from none of them.
SETTINGS_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_HOST_PASSWORD_FILE",
    "EMAIL_USE_TLS",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "USE_X_FORWARDED_PROTO",
    "TIME_ZONE",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
)
GOOD_SECRET = secrets.token_urlsafe(64)  # 86 characters, random
GOOD_AUDIT_KEY = secrets.token_urlsafe(48)


def manage(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and not k.startswith(("MLTRL_", "CELERY_"))
    }
    env["MLTRL_VAR_DIR"] = str(tmp_path / "var")  # keep the checkout clean
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,  # a bound on a hang only; generous for a loaded machine
    )


def assert_refused(result: subprocess.CompletedProcess, message: str) -> None:
    assert result.returncode != 0, result.stdout
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_check_passes_with_nothing_set(tmp_path):
    result = manage(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"DEBUG": "maybe"},
            "DEBUG='maybe' is not a boolean; use one of 1/0, true/false, yes/no, on/off.",
        ),
        ({"EMAIL_PORT": "abc"}, "EMAIL_PORT='abc' is not a whole number."),
        ({"EMAIL_PORT": "0"}, "EMAIL_PORT=0 is below the minimum of 1."),
        (
            {"DATABASE_URL": "mysql://x/y"},
            "DATABASE_URL has unsupported scheme 'mysql'; use postgres:// or sqlite:///.",
        ),
        (
            {"DATABASE_URL": "postgres://host/"},
            "DATABASE_URL names no database: 'postgres://host/'.",
        ),
        ({"DEBUG": "0"}, "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG=0."),
        (
            {"MLTRL_CACHE_URL": "memcached://cache:11211"},
            "MLTRL_CACHE_URL='memcached://cache:11211' is not a Redis URL; use redis://host:6379/1.",
        ),
    ],
    ids=[
        "debug-maybe",
        "port-abc",
        "port-0",
        "mysql",
        "no-db-name",
        "debug-0-no-secret",
        "cache-not-redis",
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(tmp_path, variables, message):
    assert_refused(manage(tmp_path, "check", **variables), message)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({}, "MLTRL_AUDIT_KEY (or MLTRL_AUDIT_KEY_FILE) is required when DEBUG=0."),
        ({"MLTRL_AUDIT_KEY": "short"}, "MLTRL_AUDIT_KEY must be at least 32 characters long."),
        (
            {"MLTRL_AUDIT_KEY": GOOD_AUDIT_KEY, "MLTRL_AUDIT_KEY_ID": "a:b"},
            "MLTRL_AUDIT_KEY_ID must be at most 16 characters, without ':'.",
        ),
        (
            {"MLTRL_AUDIT_KEY": GOOD_AUDIT_KEY, "MLTRL_AUDIT_KEYS_OLD": "k0:old,k1:" + "x" * 40},
            "MLTRL_AUDIT_KEYS_OLD lists the current key id 'k1'; give the new key a new id.",
        ),
        (
            {"MLTRL_AUDIT_KEY": GOOD_AUDIT_KEY, "MLTRL_AUDIT_KEYS_OLD": "no-colon-here"},
            "MLTRL_AUDIT_KEYS_OLD holds 'no-colon'...; use id:key pairs.",
        ),
    ],
    ids=["missing", "short", "bad-id", "current-id-listed-old", "malformed-old"],
)
def test_production_refuses_to_start_without_a_sound_audit_key(tmp_path, variables, message):
    result = manage(
        tmp_path, "check", DEBUG="0", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="x.example", **variables
    )
    assert_refused(result, message)


def test_parse_keyring_reads_id_key_pairs_and_refuses_duplicates():
    assert parse_keyring("X", "k1:aaa, k2:bbb:ccc\nk3:ddd") == {
        "k1": "aaa",
        "k2": "bbb:ccc",
        "k3": "ddd",
    }
    assert parse_keyring("X", "") == {}
    with pytest.raises(ImproperlyConfigured, match="lists the key id 'k1' twice"):
        parse_keyring("X", "k1:a,k1:b")


def test_secret_key_and_secret_key_file_together_are_refused(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_SECRET)
    result = manage(tmp_path, "check", SECRET_KEY=GOOD_SECRET, SECRET_KEY_FILE=str(key_file))
    assert_refused(result, "Set SECRET_KEY or SECRET_KEY_FILE, not both.")


def test_secret_key_file_that_does_not_exist_is_refused(tmp_path):
    missing = tmp_path / "nowhere" / "key"
    result = manage(tmp_path, "check", DEBUG="0", SECRET_KEY_FILE=str(missing))
    assert_refused(
        result,
        f"SECRET_KEY_FILE={str(missing)!r} cannot be read: "
        f"[Errno 2] No such file or directory: {str(missing)!r}",
    )


def test_production_mode_passes_the_deploy_check_without_warnings(tmp_path):
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=GOOD_SECRET,
        MLTRL_AUDIT_KEY=GOOD_AUDIT_KEY,
        ALLOWED_HOSTS="mltrl.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_mode_reads_the_secret_key_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(GOOD_SECRET + "\n")
    result = manage(
        tmp_path,
        "shell",
        "--verbosity=0",  # no "objects imported automatically" banner
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG)",
        DEBUG="0",
        SECRET_KEY_FILE=str(key_file),
        MLTRL_AUDIT_KEY=GOOD_AUDIT_KEY,
        ALLOWED_HOSTS="mltrl.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [GOOD_SECRET, "False"]


@pytest.mark.parametrize(
    ("variables", "backend"),
    [
        ({}, "django.core.cache.backends.locmem.LocMemCache None"),
        (
            {"MLTRL_CACHE_URL": "redis://cache:6379/1"},
            "django.core.cache.backends.redis.RedisCache redis://cache:6379/1",
        ),
    ],
)
def test_the_cache_is_local_memory_unless_a_redis_url_is_set(tmp_path, variables, backend):
    result = manage(
        tmp_path,
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; c = settings.CACHES['default'];"
        " print(c['BACKEND'], c.get('LOCATION'))",
        **variables,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == backend


# --- the helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        *[("1", True), ("true", True), (" Yes ", True), ("ON", True)],
        *[("0", False), ("false", False), ("no", False), ("Off", False)],
    ],
)
def test_env_bool_accepts_the_documented_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("FLAG", raw)
    assert env_bool("FLAG", not value) is value


def test_env_bool_defaults_when_unset_or_empty_and_refuses_anything_else(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "")
    assert env_bool("FLAG", False) is False
    monkeypatch.setenv("FLAG", "2")
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("FLAG", False)
    assert str(refused.value) == (
        "FLAG='2' is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def test_env_int_parses_bounds_and_refuses(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    assert env_int("PORT", 25, minimum=1) == 25
    monkeypatch.setenv("PORT", " 587 ")
    assert env_int("PORT", 25, minimum=1) == 587
    monkeypatch.setenv("PORT", "-5")
    assert env_int("PORT", 0) == -5  # no minimum, no bound
    with pytest.raises(ImproperlyConfigured, match=r"^PORT=-5 is below the minimum of 0\.$"):
        env_int("PORT", 0, minimum=0)
    monkeypatch.setenv("PORT", "25.0")
    with pytest.raises(ImproperlyConfigured, match=r"^PORT='25\.0' is not a whole number\.$"):
        env_int("PORT", 25)


def test_env_list_and_env_str(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , ,b.example,")
    assert env_list("HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.setenv("HOSTS", "")
    default = ["x"]
    listed = env_list("HOSTS", default)
    assert listed == ["x"]
    assert listed is not default  # callers may mutate their copy
    monkeypatch.setenv("NAME", "")
    assert env_str("NAME", "fallback") == "fallback"
    monkeypatch.setenv("NAME", " kept as is ")
    assert env_str("NAME") == " kept as is "


def test_env_secret_reads_the_variable_or_its_file(monkeypatch, tmp_path):
    monkeypatch.delenv("TOKEN", raising=False)
    monkeypatch.delenv("TOKEN_FILE", raising=False)
    assert env_secret("TOKEN") is None
    assert env_secret("TOKEN", "") == ""
    monkeypatch.setenv("TOKEN", "direct")
    assert env_secret("TOKEN") == "direct"

    secret_file = tmp_path / "token"
    secret_file.write_text("  from-file\n", encoding="utf-8")
    monkeypatch.setenv("TOKEN_FILE", str(secret_file))
    with pytest.raises(ImproperlyConfigured, match=r"^Set TOKEN or TOKEN_FILE, not both\.$"):
        env_secret("TOKEN")
    monkeypatch.delenv("TOKEN")
    assert env_secret("TOKEN") == "from-file"

    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured) as refused:
        env_secret("TOKEN")
    assert str(refused.value).startswith(f"TOKEN_FILE={str(tmp_path / 'missing')!r} cannot be read")


def test_database_from_url_postgres():
    config = database_from_url("postgres://us%40er:p%3Aw@db.example:6543/ml%20trl?sslmode=require")
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "ml trl",
        "USER": "us@er",
        "PASSWORD": "p:w",
        "HOST": "db.example",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
    minimal = database_from_url("postgresql://localhost/mltrl")
    assert (minimal["NAME"], minimal["USER"], minimal["PORT"]) == ("mltrl", "", "")


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:///var/data/x.sqlite3", "var/data/x.sqlite3"),
        ("sqlite:////absolute/path/x.db", "/absolute/path/x.db"),
        ("sqlite://", ":memory:"),
        ("sqlite:///", ":memory:"),
    ],
)
def test_database_from_url_sqlite(url, name):
    assert database_from_url(url) == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://x/y",
            "REPLICA_URL has unsupported scheme 'mysql'; use postgres:// or sqlite:///.",
        ),
        ("postgres://host/", "REPLICA_URL names no database: 'postgres://host/'."),
        ("nonsense", "REPLICA_URL has unsupported scheme ''; use postgres:// or sqlite:///."),
    ],
)
def test_database_from_url_refuses_naming_the_variable(url, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        database_from_url(url, name="REPLICA_URL")
    assert str(refused.value) == message


def test_an_empty_secret_key_file_fails_at_start(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("\n")
    result = manage(
        tmp_path, "check", DEBUG="0", SECRET_KEY_FILE=str(key_file), ALLOWED_HOSTS="x.example"
    )
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY_FILE" in result.stderr
