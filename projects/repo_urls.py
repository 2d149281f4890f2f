"""Validation of user-supplied repository URLs, before any network access.

Allowed: the schemes in ``MLTRL_GIT_ALLOWED_SCHEMES`` (https, ssh, git by
default) and ``file://`` only under ``MLTRL_GIT_FILE_ROOT``. Refused: bare
paths, scp-like ``host:path``, transport helpers (``ext::``), credentials in
the URL, option-like values, control characters, and hosts any of whose
addresses is loopback, private, link-local, multicast, reserved or unspecified
unless the host (a name or an IP address, as the URL writes it) is listed in
``MLTRL_GIT_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="repository_url")


def _address_problem(address: str) -> str | None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    for attribute, label in (
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_private", "private"),
        ("is_multicast", "multicast"),
        ("is_reserved", "reserved"),
        ("is_unspecified", "unspecified"),
    ):
        if getattr(ip, attribute):
            return label
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to; ``ValidationError`` when it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise _refuse(f"The host {host!r} does not resolve ({exc}).") from None
    return sorted({info[4][0] for info in infos})


def branch_name_problem(name: str) -> str | None:
    """Why ``name`` is not an acceptable branch name (git's rules, and never option-like)."""
    if not name:
        return "'' is not a valid branch name: a branch name is required."
    bad = (
        name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or name == "@"
        or any(part in name for part in ("..", "//", "@{", "/."))
        or any(c in name for c in " ~^:?*[\\\x7f")
        or any(ord(c) < 0x20 for c in name)
    )
    return f"{name!r} is not a valid branch name." if bad else None


def _validate_file_url(raw_path: str) -> str:
    root = settings.MLTRL_GIT_FILE_ROOT
    if not root:
        raise _refuse("file:// repository URLs are not allowed on this server.")
    resolved_root = Path(root).resolve()
    # git percent-decodes file URLs (%2e%2e is ".."), so check the decoded path.
    candidate = Path(unquote(raw_path)).resolve()
    if candidate != resolved_root and resolved_root not in candidate.parents:
        raise _refuse(f"file:// repository URLs must point inside {resolved_root}.")
    return f"file://{quote(str(candidate))}"


def validate_repository_url(url: str, *, resolve: bool = True) -> str:
    """Return the normalised URL or raise ``ValidationError`` saying what is wrong."""
    url = (url or "").strip()
    if not url:
        raise _refuse("Enter a repository URL.")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url) or " " in url:
        raise _refuse("The repository URL contains spaces or control characters.")
    if url.startswith("-"):
        raise _refuse("The repository URL may not start with '-'.")
    if "::" in url.split("/", 1)[0]:
        raise _refuse("Transport helpers such as 'ext::' are not allowed.")
    if "://" not in url:
        raise _refuse(
            "Use a full URL such as https://host/org/repo.git "
            "(bare paths and scp-like host:path forms are not accepted)."
        )
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in {"", "localhost"}:
            raise _refuse("file:// URLs may not name a host.")
        return _validate_file_url(parts.path)
    allowed = [s.lower() for s in settings.MLTRL_GIT_ALLOWED_SCHEMES]
    if scheme not in allowed:
        raise _refuse(f"The scheme {scheme!r} is not allowed; use one of: {', '.join(allowed)}.")
    if parts.password is not None or (parts.username is not None and scheme != "ssh"):
        raise _refuse("Credentials do not belong in the repository URL.")
    host = parts.hostname
    if not host:
        raise _refuse("The repository URL names no host.")
    if host.startswith("-") or (parts.username or "").startswith("-"):
        raise _refuse("A host or user name in the URL may not start with '-'.")
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 443)
    except ValueError:
        raise _refuse("The repository URL has an invalid port.") from None
    if not parts.path.strip("/"):
        raise _refuse("The repository URL names no repository path.")
    if resolve:
        validate_host(host, port)
    return url


def host_key(host: str) -> str:
    """A host as the allow-list compares it: lower-case name, or an IP address in
    its canonical form (``[::1]``, ``0:0:0:0:0:0:0:1`` and ``::1`` are one entry)."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host.rstrip(".")


def validate_host(host: str, port: int) -> list[str]:
    """Refuse hosts that resolve to internal addresses unless allow-listed.

    ``MLTRL_GIT_ALLOWED_HOSTS`` holds host names and IP addresses, matched
    against the host as the URL writes it: an address entry allows URLs that
    name that address, a name entry URLs that name that host.
    """
    allowed_hosts = {host_key(h) for h in settings.MLTRL_GIT_ALLOWED_HOSTS}
    addresses = resolve_host(host, port)
    if host_key(host) in allowed_hosts:
        return addresses
    for address in addresses:
        problem = _address_problem(address)
        if problem:
            raise _refuse(
                f"The host {host!r} resolves to a {problem} address ({address}); "
                "internal addresses are refused."
            )
    return addresses
