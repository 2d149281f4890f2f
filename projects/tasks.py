"""Celery tasks of the projects app."""

from __future__ import annotations

from celery import shared_task

from .audit_anchor import audit_anchor_write


@shared_task(name="projects.audit_anchor")
def audit_anchor() -> int:
    """Append every chain head to the anchor file (beat, every MLTRL_AUDIT_ANCHOR_INTERVAL_S)."""
    return len(audit_anchor_write()["chains"])
