"""Write services of webhook subscriptions: create (the secret is returned once),
update, delete, and redeliver a delivery. Each takes ``actor=``, locks the
project or team row, checks ``projects.permissions.require_webhook_manager``
inside the transaction and records an audit event (the URL's host only: a
receiver's URL may carry a token of its own in the query).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from projects.audit import audit_record
from projects.models import Project, Team
from projects.outbound import target_validate
from projects.permissions import require_webhook_manager

from .delivery import delivery_queue_on_commit
from .models import WebhookDelivery, WebhookEvent, WebhookSubscription
from .signing import secret_seed_new, signing_secret


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once; only its seed is stored


def _clean_url(url: str) -> str:
    """The URL if it passes the SSRF rules now (it is checked again at every attempt)."""
    url = (url or "").strip()
    try:
        target_validate(
            url, allowed_hosts=settings.MLTRL_WEBHOOK_ALLOWED_HOSTS, what="The target URL"
        )
    except ValidationError as exc:
        raise ValidationError(exc.messages[0], code="url") from None
    if len(url) > 500:
        raise ValidationError("The target URL is longer than 500 characters.", code="url")
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events or ()))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown or not chosen:
        raise ValidationError(
            f"Choose events among: {', '.join(WebhookEvent.values)}"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            code="events",
        )
    return chosen


def _lock_scope(subscription: WebhookSubscription) -> tuple[Project | None, Team | None]:
    if subscription.project_id is not None:
        return Project.objects.select_for_update().get(pk=subscription.project_id), None
    return None, Team.objects.select_for_update().get(pk=subscription.team_id)


def _audit(kind: str, subscription: WebhookSubscription, actor: Any, **extra: Any) -> None:
    audit_record(
        kind=kind,
        actor=actor,
        project=subscription.project,
        payload={
            "webhook": subscription.pk,
            "team": subscription.team.slug if subscription.team_id else None,
            "host": _host(subscription.url),
            **extra,
        },
    )


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


@transaction.atomic
def subscription_create(
    *,
    actor: Any,
    url: str,
    events: Iterable[str],
    project: Project | None = None,
    team: Team | None = None,
    description: str = "",
    active: bool = True,
) -> CreatedSubscription:
    """Subscribe ``url`` to ``events`` of one project or of every project of one team."""
    if (project is None) == (team is None):
        raise ValidationError("A subscription belongs to one project or one team.")
    if project is not None:
        project = Project.objects.select_for_update().get(pk=project.pk)
    else:
        team = Team.objects.select_for_update().get(pk=team.pk)
    require_webhook_manager(actor, project=project, team=team)
    subscription = WebhookSubscription.objects.create(
        project=project,
        team=team,
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "").strip()[:200],
        active=active,
        secret_seed=secret_seed_new(),
        owner=actor,
    )
    _audit("webhook.created", subscription, actor, events=subscription.events)
    return CreatedSubscription(subscription, signing_secret(subscription.secret_seed))


@transaction.atomic
def subscription_update(
    *,
    subscription: WebhookSubscription,
    actor: Any,
    url: str | None = None,
    events: Iterable[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
    rotate_secret: bool = False,
) -> CreatedSubscription:
    """Change what is given; ``rotate_secret`` issues a new secret (returned once)."""
    project, team = _lock_scope(subscription)
    require_webhook_manager(actor, project=project, team=team)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    changed: list[str] = []
    if url is not None and url.strip() != subscription.url:
        subscription.url, changed = _clean_url(url), [*changed, "url"]
    if events is not None and _clean_events(events) != subscription.events:
        subscription.events, changed = _clean_events(events), [*changed, "events"]
    if active is not None and active != subscription.active:
        subscription.active, changed = active, [*changed, "active"]
    if description is not None and description.strip() != subscription.description:
        subscription.description, changed = description.strip()[:200], [*changed, "description"]
    if rotate_secret:
        subscription.secret_seed, changed = secret_seed_new(), [*changed, "secret"]
    if changed:
        subscription.save()
        _audit("webhook.updated", subscription, actor, changed=changed)
    secret = signing_secret(subscription.secret_seed) if rotate_secret else ""
    return CreatedSubscription(subscription, secret)


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, actor: Any) -> None:
    """Delete the subscription and its delivery log."""
    project, team = _lock_scope(subscription)
    require_webhook_manager(actor, project=project, team=team)
    _audit("webhook.deleted", subscription, actor)
    subscription.delete()


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """Send a delivery's body again as a new delivery (new id, fresh attempts), after commit."""
    subscription = delivery.subscription
    project, team = _lock_scope(subscription)
    require_webhook_manager(actor, project=project, team=team)
    subscription = WebhookSubscription.objects.get(pk=subscription.pk)
    if not subscription.active:
        raise ValidationError("The subscription is inactive; activate it to redeliver.")
    again = WebhookDelivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        event_id=delivery.event_id,
        body=delivery.body,
        next_attempt_at=timezone.now(),
        redelivery_of=delivery,
    )
    _audit("webhook.redelivered", subscription, actor, delivery=str(delivery.uid))
    delivery_queue_on_commit(again)
    return again
