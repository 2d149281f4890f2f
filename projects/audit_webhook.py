"""Sending each audit anchor to an outside receiver as a signed webhook.

With ``MLTRL_AUDIT_ANCHOR_URL`` set, every anchor record beat writes is also
POSTed there as JSON, signed in ``X-Mltrl-Signature: sha256=<HMAC of the body>``
with the audit key (id in ``X-Mltrl-Key-Id``). The URL is validated like a
repository URL: https only (http just for hosts listed in
``MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS``), no credentials, and a host that resolves
only to global unicast addresses unless listed; the connection goes to the
address that was validated, so a DNS answer changed in between cannot redirect
it, and redirects are not followed. The receiver keeps the lines;
``verify_audit --anchor-file`` compares them with the chains.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from .repo_urls import DEFAULT_PORTS, validate_host


class AnchorWebhookError(RuntimeError):
    """The receiver could not be reached or did not accept the anchor."""


def anchor_url_validate(url: str) -> tuple[str, int, str, list[str]]:
    """(scheme, port, host, validated addresses) or ``ValidationError`` saying why not."""
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise ValidationError("The anchor URL contains spaces or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = [h.lower() for h in settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS]
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationError("The anchor URL names no host.")
    if scheme not in {"https", "http"} or (scheme == "http" and host not in allowed):
        raise ValidationError(
            f"The anchor URL must use https (http only for a host in "
            f"MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS), not {scheme!r}."
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Credentials do not belong in the anchor URL.")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValidationError("The anchor URL has an invalid port.") from None
    addresses = validate_host(host, port, allowed=allowed)
    return scheme, port, host, addresses


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


def anchor_webhook_send(line: bytes, *, url: str | None = None) -> int:
    """POST one anchor line; return the receiver's status (2xx) or raise."""
    from .audit import audit_mac

    target = url or settings.MLTRL_AUDIT_ANCHOR_URL
    scheme, port, host, addresses = anchor_url_validate(target)
    parts = urlsplit(target)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    key_id = settings.MLTRL_AUDIT_KEY_ID
    headers = {
        "Content-Type": "application/json",
        "X-Mltrl-Key-Id": key_id,
        "X-Mltrl-Signature": "sha256=" + audit_mac(line, key_id=key_id),
    }
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    conn = connection_class(host, port, addresses[0], timeout=settings.MLTRL_AUDIT_ANCHOR_TIMEOUT_S)
    try:
        conn.request("POST", path, body=line, headers=headers)
        response = conn.getresponse()
        response.read(65536)
    except OSError as exc:
        raise AnchorWebhookError(f"The anchor receiver {host} is unreachable: {exc}.") from None
    finally:
        conn.close()
    if not 200 <= response.status < 300:
        raise AnchorWebhookError(
            f"The anchor receiver {host} answered {response.status}; the anchor is only on file."
        )
    return response.status
