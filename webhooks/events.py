"""Which audit events become which webhook events, and the payload each one carries.

The audit record is the single record of what happened; an event is reported
when an audit event of one of these kinds is written:

| audit kind | webhook event |
|---|---|
| ``level.changed`` | ``level.changed`` |
| ``request.submit`` | ``request.opened`` |
| ``request.approve``, ``request.reject`` | ``request.decided`` |
| ``checks.finished`` (worker), ``checks.recorded`` | ``check_run.finished`` |
| ``waiver.expiring`` (beat scan, ``reviews.waivers``) | ``waiver.expiring`` |

Payloads are built inside the transaction of the event, from the facts as
they are at that moment (docs/api.md shows one of each).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.urls import reverse

from gates.models import CheckResult, CheckRun
from projects.models import AuditEvent, Project
from reviews.models import LevelChangeRequest, Waiver

from .models import WebhookEvent

EVENT_OF_KIND = {
    "level.changed": WebhookEvent.LEVEL_CHANGED,
    "request.submit": WebhookEvent.REQUEST_OPENED,
    "request.approve": WebhookEvent.REQUEST_DECIDED,
    "request.reject": WebhookEvent.REQUEST_DECIDED,
    "checks.finished": WebhookEvent.CHECK_RUN_FINISHED,
    "checks.recorded": WebhookEvent.CHECK_RUN_FINISHED,
    "waiver.expiring": WebhookEvent.WAIVER_EXPIRING,
}


def _link(name: str, **kwargs: Any) -> str:
    return settings.MLTRL_SITE_URL.rstrip("/") + reverse(name, kwargs=kwargs)


def _project(project: Project) -> dict[str, Any]:
    return {
        "slug": project.slug,
        "name": project.name,
        "team": project.team.slug,
        "level": project.level,
        "evidence_level": project.evidence_level,
        "url": _link("api-project", slug=project.slug),
    }


def _request(pk: int | None) -> dict[str, Any] | None:
    request = LevelChangeRequest.objects.filter(pk=pk).select_related("requester").first()
    if request is None:
        return None
    return {
        "id": request.pk,
        "kind": request.kind,
        "from_level": request.from_level,
        "to_level": request.to_level,
        "state": request.state,
        "requester": request.requester.get_username(),
        "commit_sha": request.commit_sha,
        "url": _link("api-request", pk=request.pk),
    }


def _check_run(event: AuditEvent) -> dict[str, Any]:
    run = CheckRun.objects.filter(pk=event.payload.get("run")).first()
    if run is None:
        return {"run": None}
    results = CheckResult.objects.filter(run=run).order_by("check_key")
    return {
        "run": {
            "id": run.pk,
            "commit_sha": run.commit_sha,
            "status": run.status,
            "trigger": run.trigger,
            "message": run.message,
            "request": _request(run.request_id),
            "results": [{"check": r.check_key, "outcome": r.outcome} for r in results],
        }
    }


def _waiver(event: AuditEvent) -> dict[str, Any]:
    waiver = Waiver.objects.filter(pk=event.payload.get("waiver")).select_related(
        "granted_by", "role"
    )
    w = waiver.first()
    if w is None:
        return {"waiver": None}
    return {
        "waiver": {
            "id": w.pk,
            "check": w.check_key,
            "expires_at": w.expires_at.isoformat(),
            "granted_by": w.granted_by.get_username(),
            "role": w.role.key,
            "reason": w.reason,
        }
    }


def _data(name: str, event: AuditEvent) -> dict[str, Any]:
    payload = event.payload
    if name == WebhookEvent.LEVEL_CHANGED:
        return {
            "from_level": payload.get("from_level"),
            "to_level": payload.get("to_level"),
            "request": _request(payload.get("request")),
        }
    if name == WebhookEvent.REQUEST_OPENED:
        return {"request": _request(payload.get("request"))}
    if name == WebhookEvent.REQUEST_DECIDED:
        decision = "approved" if event.kind == "request.approve" else "rejected"
        return {"decision": decision, "request": _request(payload.get("request"))}
    if name == WebhookEvent.CHECK_RUN_FINISHED:
        return _check_run(event)
    return _waiver(event)


def event_body(name: str, event: AuditEvent, project: Project) -> str:
    """The JSON body of ``event`` as webhook event ``name`` (compact, keys sorted)."""
    actor = event.actor.get_username() if event.actor_id else None
    body = {
        "id": event.pk,
        "event": name,
        "created_at": event.created_at.isoformat(),
        "actor": actor,
        "project": _project(project),
        "data": _data(name, event),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
