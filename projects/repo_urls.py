"""Validation of user-supplied repository URLs, before any network access.

Allowed: the schemes in ``MLTRL_GIT_ALLOWED_SCHEMES`` (https, ssh, git by
default) and ``file://`` only under ``MLTRL_GIT_FILE_ROOT``. Refused: bare
paths, scp-like ``host:path``, transport helpers (``ext::``), credentials in
the URL, option-like values, control characters, and hosts any of whose
addresses is not a global unicast address (loopback, private, carrier-grade NAT,
link-local, documentation, multicast, reserved, ...; IPv4 wrapped in IPv4-mapped,
NAT64, 6to4 or Teredo addresses is judged by the IPv4 inside) unless the host (a
name or an IP address, as the URL writes it) is listed in ``MLTRL_GIT_ALLOWED_HOSTS``.
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


# Only global unicast addresses are acceptable. Rather than trust the Python
# version's ``is_global`` (its tables changed between 3.11 patch releases and it
# calls multicast "global"), the special-purpose ranges of the IANA registries
# are listed here, each with the word a refusal uses.
_IPV4_NON_GLOBAL = [
    (ipaddress.ip_network(net), label)
    for net, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol-assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay (deprecated)"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),  # before 240/4, which holds it
        ("240.0.0.0/4", "reserved"),
    )
]
_IPV6_NON_GLOBAL = [
    (ipaddress.ip_network(net), label)
    for net, label in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol-assignment"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "segment-routing"),
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
]
_IPV6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address merely wraps (mapped, NAT64, 6to4, Teredo).

    Traffic to these reaches the IPv4 address inside, so they are judged by it.
    """
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client: the address the tunnel delivers to
    return None


def _address_problem(address: str) -> tuple[str, str] | None:
    """``(what kind of address, the address judged)`` unless ``address`` is global unicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            ip = inner
        else:
            for network, label in _IPV6_NON_GLOBAL:
                if ip in network:
                    return label, str(ip)
            if ip not in _IPV6_GLOBAL_UNICAST:
                return "reserved", str(ip)
            return None
    for network, label in _IPV4_NON_GLOBAL:
        if ip in network:
            return label, str(ip)
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


def validate_host(host: str, port: int, *, allowed: list[str] | None = None) -> list[str]:
    """Refuse hosts that resolve to internal addresses unless allow-listed.

    ``allowed`` defaults to ``MLTRL_GIT_ALLOWED_HOSTS`` (host names and IP
    addresses, matched against the host as the URL writes it); the audit anchor
    webhook passes its own list.
    """
    listed = settings.MLTRL_GIT_ALLOWED_HOSTS if allowed is None else allowed
    allowed_hosts = {host_key(h) for h in listed}
    addresses = resolve_host(host, port)
    if host_key(host) in allowed_hosts:
        return addresses
    for address in addresses:
        problem = _address_problem(address)
        if problem:
            label, judged = problem
            shown = address if judged == address else f"{judged} inside {address}"
            article = "an" if label[0] in "aeiouAEIOU" else "a"
            raise _refuse(
                f"The host {host!r} resolves to {article} {label} address ({shown}); "
                "internal addresses are refused."
            )
    return addresses
