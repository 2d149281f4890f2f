"""Deliveries are written where the facts are: in the transaction of the audit event.

A receiver of ``post_save`` on ``AuditEvent`` (every change writes one) maps
the event's kind to a webhook event (``webhooks.events``), finds the active
subscriptions of the project and of its owning team that asked for it, and
writes one delivery each; the messages leave after the commit. The work runs
in a savepoint and a fault in it is logged, never raised: a webhook can be
missed by a bug here, the change it reports cannot be refused by one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q, Subquery
from django.db.models.signals import post_save
from django.dispatch import receiver

from projects.models import AuditEvent, Project

from .delivery import deliveries_create
from .events import EVENT_OF_KIND, event_body
from .models import WebhookSubscription

logger = logging.getLogger(__name__)


@receiver(post_save, sender=AuditEvent, dispatch_uid="webhooks.on_audit_event")
def on_audit_event(sender, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    name = EVENT_OF_KIND.get(instance.kind)
    if not created or name is None or instance.project_id is None:
        return
    try:
        with transaction.atomic():  # a savepoint: a fault here never breaks the change
            _deliveries_for(instance, name)
    except Exception:
        logger.exception("webhook deliveries for audit event %s were not written", instance.pk)


def _deliveries_for(instance: AuditEvent, name: str) -> None:
    owner = Project.objects.filter(pk=instance.project_id).values("team_id")
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(
            Q(project_id=instance.project_id) | Q(team_id=Subquery(owner)), active=True
        )
        if name in s.events
    ]
    if not subscriptions:  # the usual case: one query and done
        return
    project = Project.objects.select_related("team").get(pk=instance.project_id)
    body = event_body(name, instance, project)
    deliveries_create(subscriptions, event=name, body=body, event_id=instance.pk)
