"""Sending each audit anchor to an outside receiver as a signed webhook.

With ``MLTRL_AUDIT_ANCHOR_URL`` set, every anchor record beat writes is also
POSTed there as JSON, signed in ``X-Mltrl-Signature: sha256=<HMAC of the body>``
with the audit key (id in ``X-Mltrl-Key-Id``). The URL is validated like a
repository URL: https only (http just for hosts listed in
``MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS``), no credentials, and a host that resolves
only to global unicast addresses unless listed; the connection goes to the
address that was validated, so a DNS answer changed in between cannot redirect
it, and redirects are not followed (``projects.outbound``). The receiver keeps
the lines; ``verify_audit --anchor-file`` compares them with the chains.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from .outbound import Target, post_pinned, target_validate


class AnchorWebhookError(RuntimeError):
    """The receiver could not be reached or did not accept the anchor."""


def _anchor_target(url: str) -> Target:
    try:
        target = target_validate(
            url, allowed_hosts=settings.MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS, what="The anchor URL"
        )
    except ValidationError as exc:
        message = exc.messages[0]
        if "must use https" in message:
            message = message.replace(
                "must use https,",
                "must use https (http only for a host in MLTRL_AUDIT_ANCHOR_ALLOWED_HOSTS),",
            )
        raise ValidationError(message) from None
    return target


def anchor_url_validate(url: str) -> tuple[str, int, str, list[str]]:
    """(scheme, port, host, validated addresses) or ``ValidationError`` saying why not."""
    target = _anchor_target(url)
    return target.scheme, target.port, target.host, target.addresses


def anchor_webhook_send(line: bytes, *, url: str | None = None) -> int:
    """POST one anchor line; return the receiver's status (2xx) or raise."""
    from .audit import audit_mac

    target = _anchor_target(url or settings.MLTRL_AUDIT_ANCHOR_URL)
    key_id = settings.MLTRL_AUDIT_KEY_ID
    headers = {
        "Content-Type": "application/json",
        "X-Mltrl-Key-Id": key_id,
        "X-Mltrl-Signature": "sha256=" + audit_mac(line, key_id=key_id),
    }
    try:
        answer = post_pinned(target, line, headers, timeout=settings.MLTRL_AUDIT_ANCHOR_TIMEOUT_S)
    except OSError as exc:
        raise AnchorWebhookError(
            f"The anchor receiver {target.host} is unreachable: {exc}."
        ) from None
    if not 200 <= answer.status < 300:
        raise AnchorWebhookError(
            f"The anchor receiver {target.host} answered {answer.status}; "
            "the anchor is only on file."
        )
    return answer.status
