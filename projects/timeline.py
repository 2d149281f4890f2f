"""Audit events as a history people read: one sentence and a category per event.

Only the payload each service wrote is used (no query per event), so a page of
history costs the one query that loaded it. Unknown kinds still get a plain
sentence, so a new event kind never breaks a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import AuditEvent

# Timeline filters of the project page: name -> (label, event kinds; None = every kind)
TIMELINE_FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "all": ("All", None),
    "levels": ("Levels", ("level.changed", "project.created", "evidence.changed")),
    "signoffs": ("Sign-offs", ("signoff.recorded",)),
    "waivers": ("Waivers", ("waiver.granted", "waiver.revoked", "waiver.expiring")),
    "card": ("Card", ("card.updated",)),
}

CATEGORY = {
    "level.changed": "level",
    "project.created": "level",
    "evidence.changed": "level",
    "signoff.recorded": "signoff",
    "waiver.granted": "waiver",
    "waiver.revoked": "waiver",
    "waiver.expiring": "waiver",
    "card.updated": "card",
}

DECISION_WORDS = {
    "approve": "approved",
    "request_changes": "requested changes on",
    "reject": "rejected",
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    category: str
    text: str
    request_id: int | None
    project_name: str


def _level_text(p: dict[str, Any]) -> str:
    start, end = p.get("from_level"), p.get("to_level")
    if p.get("entry"):
        return f"entered at level {end} (entry review)"
    if isinstance(start, int) and isinstance(end, int) and end < start:
        return f"switched back from level {start} to {end}"
    return f"level {start} -> {end}"


def _request_text(kind: str, p: dict[str, Any]) -> str:
    number = f"#{p.get('request')}"
    verb = kind.split(".", 1)[1]
    return {
        "created": f"opened request {number} ({p.get('kind')} {p.get('from_level')} -> "
        f"{p.get('to_level')})",
        "submit": f"submitted request {number}",
        "withdraw": f"withdrew request {number}",
        "request_changes": f"request {number} now needs changes",
        "approve": f"request {number} approved: the gate holds",
        "reject": f"request {number} rejected",
        "resubmit": f"resubmitted request {number}",
        "reopen": f"request {number} open again",
        "commit_pinned": f"request {number} now checks commit {str(p.get('to', ''))[:10]}",
    }.get(verb, f"request {number}: {verb.replace('_', ' ')}")


def event_sentence(kind: str, payload: dict[str, Any]) -> str:
    """What happened, in words, from the event kind and its payload."""
    p = payload or {}
    if kind == "level.changed":
        text = _level_text(p)
        return f"{text} (request #{p['request']})" if p.get("request") else text
    if kind == "project.created":
        return f"project registered at level {p.get('level', 0)}"
    if kind == "evidence.changed":
        if p.get("from_level") is None:
            return f"evidence level now {p.get('to_level')}"
        return f"evidence level {p.get('from_level')} -> {p.get('to_level')}"
    if kind == "signoff.recorded":
        verb = DECISION_WORDS.get(p.get("decision", ""), p.get("decision", "signed"))
        return f"{verb} request #{p.get('request')} as {p.get('role')} ({p.get('team')})"
    if kind == "waiver.granted":
        until = str(p.get("expires_at", ""))[:10]
        return f"waived check {p.get('check')} until {until}"
    if kind == "waiver.revoked":
        return f"revoked the waiver of check {p.get('check')}"
    if kind == "card.updated":
        return "edited the MLTRL card: " + ", ".join(p.get("fields", []))
    if kind == "project.updated":
        return "changed " + ", ".join(sorted(p)) if p else "updated the project"
    if kind.startswith("request."):
        return _request_text(kind, p)
    if kind == "project.at_risk":
        return "flagged at risk by scheduled monitoring: " + "; ".join(
            r.get("text", "") for r in p.get("reasons", [])
        )
    if kind == "project.risk_cleared":
        return "no longer at risk: the scheduled checks pass again"
    if kind == "checks.requested":
        return f"checks queued ({p.get('trigger')})"
    if kind == "check.reported":
        return f"CI reported {p.get('check')}: {p.get('outcome')}"
    if kind == "checks.finished":
        return f"check run #{p.get('run')} {p.get('status')} on {str(p.get('commit'))[:10]}"
    if kind == "waiver.expiring":
        return f"the waiver of {p.get('check')} expires on {str(p.get('expires_at'))[:10]}"
    if kind.startswith("webhook."):
        verb = {"created": "subscribed", "updated": "changed", "deleted": "deleted"}.get(
            kind.removeprefix("webhook."), "redelivered through"
        )
        return f"{verb} the webhook #{p.get('webhook')} to {p.get('host')}"
    if kind in ("membership.added", "membership.removed"):
        verb = "joined" if kind.endswith("added") else "left"
        return f"{p.get('user')} {verb} team {p.get('team')}"
    if kind in ("role.granted", "role.revoked"):
        verb = "now holds" if kind.endswith("granted") else "no longer holds"
        return f"{p.get('user')} {verb} role {p.get('role')} in {p.get('team')}"
    return kind.replace(".", " ").replace("_", " ")


def timeline_entry(event: AuditEvent) -> TimelineEntry:
    """One event as a history line (the event's actor and project must be loaded)."""
    payload = event.payload or {}
    request_id = payload.get("request") if isinstance(payload.get("request"), int) else None
    return TimelineEntry(
        at=event.created_at,
        actor=event.actor.get_username() if event.actor_id else "mltrl",
        kind=event.kind,
        category=CATEGORY.get(event.kind, "other"),
        text=event_sentence(event.kind, payload),
        request_id=request_id,
        project_name=event.project.name if event.project_id else "",
    )
