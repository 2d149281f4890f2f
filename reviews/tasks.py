"""Celery tasks of the reviews app.

``assess_risks`` runs on the beat: results of a scheduled run announce themselves
(``check_results_changed``), but a scheduled run on an unchanged head is a
duplicate that announces nothing, and a waiver expires with no run at all.
"""

from __future__ import annotations

from celery import shared_task

from projects.actors import system_actor

from .open_slots import open_slots_rebuild
from .risk import monitored_project_ids, project_risk_assess


@shared_task(name="reviews.assess_risks")
def assess_risks() -> int:
    """Assess every monitored or flagged project; return how many are at risk."""
    worker = system_actor("worker")
    flagged = 0
    for project_id in monitored_project_ids():
        risk = project_risk_assess(project_id=project_id, actor=worker)
        flagged += bool(risk is not None and risk.since is not None)
    return flagged


@shared_task(name="reviews.announce_expiring_waivers")
def announce_expiring_waivers() -> int:
    """Beat runs this hourly: waivers expiring soon are recorded once (``waiver.expiring``)."""
    from .waivers import waivers_expiring_announce

    return waivers_expiring_announce(actor=system_actor("worker"))


@shared_task(name="reviews.rebuild_open_slots")
def rebuild_open_slots() -> int:
    """Recompute the portfolio's bottleneck rollup (catches revoked role grants)."""
    return open_slots_rebuild()
