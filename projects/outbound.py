"""Outgoing HTTP POSTs to user-supplied URLs, safe against SSRF and DNS rebinding.

Shared by the audit-anchor webhook (``projects.audit_webhook``) and the webhook
subscriptions (``webhooks``). A target URL is validated like a repository URL
(``projects.repo_urls``): https only (http just for hosts in the caller's
allow-list), no credentials, and a host whose every address is global unicast
unless the host is listed. ``post_pinned`` validates again at send time and
connects to the address it just validated (the URL's host name still goes in
``Host`` and, for https, in SNI and certificate checks), so a DNS answer that
changes between validation and connection cannot redirect the request.
Redirects are not followed; the response body is read up to a cap, and the
whole exchange is cut at the timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from .repo_urls import DEFAULT_PORTS, validate_host


@dataclass(frozen=True)
class Target:
    """A validated URL: where to connect (``addresses``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]


def target_validate(url: str, *, allowed_hosts: list[str], what: str = "The URL") -> Target:
    """The validated target of ``url`` or ``ValidationError`` saying what is wrong.

    ``allowed_hosts`` may use http and resolve to internal addresses (tests, a
    receiver on the same network); everyone else needs https and global addresses.
    """
    url = url or ""
    if not url.strip():
        raise ValidationError(f"{what} is required.")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise ValidationError(f"{what} contains spaces or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = [h.lower() for h in allowed_hosts]
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    if not host:
        raise ValidationError(f"{what} names no host.")
    if scheme not in {"https", "http"} or (scheme == "http" and host not in allowed):
        raise ValidationError(f"{what} must use https, not {scheme!r}.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(f"Credentials do not belong in {what.lower()}.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValidationError(f"{what} has an invalid port.") from None
    addresses = validate_host(host, port, allowed=allowed)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, addresses)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    address: str


class DeadlineExceeded(OSError):
    """The receiver kept the connection busy past the overall deadline."""


def post_pinned(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    max_body: int = 65536,
) -> Answer:
    """POST ``body`` to the first validated address of ``target``; raise ``OSError`` when
    it cannot be reached or does not answer within ``timeout`` seconds overall."""
    address = target.addresses[0]
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = connection_class(target.host, target.port, address, timeout=timeout)
    # The socket timeout bounds each wait; the watchdog bounds the whole exchange, so a
    # receiver dripping its answer a byte at a time cannot hold the worker.
    expired = threading.Event()
    watchdog = threading.Timer(timeout, _cut, args=(conn, expired))
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        chunks, size = [], 0
        while size < max_body:
            chunk = response.read1(min(8192, max_body - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise DeadlineExceeded(f"no complete answer within {timeout:g} s") from None
        if isinstance(exc, OSError):
            raise
        # A malformed answer is an unreachable receiver.
        raise OSError(f"malformed HTTP answer ({exc.__class__.__name__})") from None
    finally:
        watchdog.cancel()
        conn.close()
    if expired.is_set():
        raise DeadlineExceeded(f"no complete answer within {timeout:g} s")
    return Answer(response.status, b"".join(chunks), address)


def _cut(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    """Wake a blocked read: shut the socket down (closing alone may not interrupt it)."""
    expired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
