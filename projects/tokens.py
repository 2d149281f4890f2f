"""Services for API tokens: create (the secret is returned once), revoke, authenticate.

Token text: ``mltrl_<prefix>_<secret>``. The prefix (8 hex characters) finds the
row; the secret (43 URL-safe characters, 256 bits) is checked against an HMAC
keyed with ``settings.MLTRL_TOKEN_KEY``. Tokens act for their user and never
beyond that user's permissions; no scope lets a token sign off or waive.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from .audit import audit_record
from .models import ApiToken, Project, TokenScope
from .permissions import Action, projects_for

TOKEN_PREFIX = "mltrl_"  # noqa: S105 (a marker, not a secret)
# Writing last-used time and address on every request would double the
# queries of token authentication; once a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_digest(prefix: str, secret: str) -> str:
    """The keyed hash stored for a token (never the secret itself)."""
    key = settings.MLTRL_TOKEN_KEY.encode()
    return hmac.new(key, f"{prefix}.{secret}".encode(), hashlib.sha256).hexdigest()


def token_split(raw: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a token's text, or None when it is not shaped like one."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = raw.removeprefix(TOKEN_PREFIX).partition("_")
    if not sep or len(prefix) != 8 or not 20 <= len(secret) <= 100:
        return None
    return prefix, secret


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    text: str  # shown once; not stored


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in TokenScope.values]
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": f"Choose scopes among {', '.join(TokenScope.values)}; "
                f"got {unknown or 'none'}."
            }
        )
    return scopes


@transaction.atomic
def token_create(
    *,
    user: Any,
    name: str,
    scopes: Iterable[str],
    projects: Iterable[Project] = (),
    expires_at: datetime | None = None,
    actor: Any,
) -> IssuedToken:
    """Create a token for ``user``; people create their own, administrators anyone's.

    A project restriction may name only projects the user can see.
    """
    if actor is None or not getattr(actor, "is_active", False) or not actor.is_authenticated:
        raise PermissionDenied("Sign in to create API tokens.")
    if actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("You can create API tokens only for yourself.")
    if not user.is_active:
        raise ValidationError({"user": "An inactive user cannot hold API tokens."})
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "A name of 1 to 100 characters is required."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    project_ids = sorted({p.pk for p in projects})
    visible = set(
        projects_for(user, Action.VIEW).filter(pk__in=project_ids).values_list("pk", flat=True)
    )
    if set(project_ids) - visible:
        raise ValidationError({"projects": "A token can be restricted only to projects you see."})
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        digest=token_digest(prefix, secret),
        scopes=_clean_scopes(scopes),
        project_ids=project_ids,
        expires_at=expires_at,
    )
    audit_record(
        kind="token.created",
        actor=actor,
        payload={"token": prefix, "user": user.get_username(), "scopes": token.scopes},
    )
    return IssuedToken(token=token, text=f"{TOKEN_PREFIX}{prefix}_{secret}")


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Any) -> ApiToken:
    """Revoke a token (its user or an administrator); revoking twice changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if actor is None or not getattr(actor, "is_active", False):
        raise PermissionDenied("Sign in to revoke API tokens.")
    if actor.pk != token.user_id and not actor.is_superuser:
        raise PermissionDenied("You can revoke only your own API tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(kind="token.revoked", actor=actor, payload={"token": token.prefix})
    return token


def token_authenticate(raw: str, *, address: str | None) -> ApiToken | None:
    """The live token (with its user loaded) for ``raw``, or None; one query when fresh."""
    parts = token_split(raw)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(prefix, secret)):
        return None
    now = timezone.now()
    if not token.is_live(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE: usage bookkeeping is not an audited change.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)
        token.last_used_at, token.last_used_ip = now, address
    return token
