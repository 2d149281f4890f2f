"""Typed readers for settings taken from the environment.

Every reader refuses a value it cannot parse with an ``ImproperlyConfigured``
naming the variable and what it accepts, so a typo fails at start-up instead of
silently turning into a default. Secrets may come from ``<NAME>_FILE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable, or ``default`` when it is unset or empty."""
    value = os.environ.get(name, "")
    return value if value != "" else default


def env_bool(name: str, default: bool) -> bool:
    """Parse 1/0, true/false, yes/no, on/off; anything else is an error."""
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    """Parse a whole number, optionally with a lower bound."""
    raw = env_str(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Parse a comma-separated list, dropping blanks."""
    raw = env_str(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str | None = None) -> str | None:
    """Read ``NAME`` or the file named by ``NAME_FILE`` (not both)."""
    direct = env_str(name)
    file_name = env_str(f"{name}_FILE")
    if direct is not None and file_name is not None:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if file_name is not None:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from None
        if not value:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is empty.")
        return value
    return direct if direct is not None else default


def parse_keyring(name: str, raw: str | None) -> dict[str, str]:
    """Parse ``id:key,id:key`` (old audit keys) into ``{id: key}``; refuse malformed pairs."""
    ring: dict[str, str] = {}
    for pair in (raw or "").replace("\n", ",").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key_id, sep, key = pair.partition(":")
        if not sep or not key_id.strip() or not key.strip():
            raise ImproperlyConfigured(f"{name} holds {pair[:8]!r}...; use id:key pairs.")
        if key_id.strip() in ring:
            raise ImproperlyConfigured(f"{name} lists the key id {key_id.strip()!r} twice.")
        ring[key_id.strip()] = key.strip()
    return ring


def database_from_url(url: str, *, name: str = "DATABASE_URL") -> dict:
    """Turn ``postgres://user:pw@host:port/db?opt=v`` or ``sqlite:///path`` into DATABASES."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ImproperlyConfigured(f"{name} names no database: {url!r}.")
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": db_name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db -> "/relative.db"; sqlite:////abs.db -> "//abs.db"
        path = path[1:] if path.startswith("//") else path.lstrip("/") or ":memory:"
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ImproperlyConfigured(
        f"{name} has unsupported scheme {parts.scheme!r}; use postgres:// or sqlite:///."
    )
