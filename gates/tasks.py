"""Celery tasks of the gates app. Each takes an id, loads rows and calls the engine.

``run_checks`` goes to its own ``checks`` queue; it acknowledges late and is
rejected back to the queue if its worker process dies, so a killed run is
delivered again and the engine takes it over. Transient (network) failures
retry with exponential backoff; user errors never retry.
"""

from __future__ import annotations

import gc

from celery import shared_task
from celery.signals import (
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from django.conf import settings
from django.db.models import Q

from projects.actors import system_actor
from projects.models import Project, ProjectStatus

from .engine import TransientRunError, check_run_execute, check_run_give_up, check_runs_reap
from .git_messages import gave_up_message
from .gitcli import kill_live_groups
from .models import CheckRun, RunTrigger
from .runs import check_run_request

RETRY_BASE_S = 5


@worker_process_shutdown.connect
@worker_shutdown.connect
def _kill_git_children(**_kwargs) -> None:
    """A stopping worker (or pool process) takes its git processes with it."""
    kill_live_groups()


@worker_process_init.connect
@worker_ready.connect
def freeze_startup_objects(**_kwargs) -> None:
    """Move every object alive once the worker has started (Django, the apps, the
    check catalog: ~100,000) out of the garbage collector's sight.

    They live as long as the process; without this, each full collection walks
    them all (about 66 ms in the benchmark process, docs/performance.md), and
    the first comes in the middle of an early run. Prefork pool processes do it
    after the fork (``worker_process_init``), a solo or threads pool when the
    worker is ready.
    """
    gc.collect()
    gc.freeze()


@shared_task(
    bind=True,
    name="gates.run_checks",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def run_checks(self, run_id: int) -> str:
    try:
        outcome = check_run_execute(run_id)
    except TransientRunError as exc:
        if self.request.retries >= self.max_retries:
            started = CheckRun.objects.filter(pk=run_id).values_list("started_at", flat=True)
            message = gave_up_message(
                exc.error, tries=self.max_retries + 1, started_at=started.first()
            )
            check_run_give_up(run_id, message)
            return "gave_up"
        raise self.retry(countdown=RETRY_BASE_S * 2**self.request.retries) from exc
    if outcome == "busy":  # another live worker holds it; look again after its heartbeat
        raise self.retry(countdown=settings.MLTRL_RUN_HEARTBEAT_TIMEOUT_S, max_retries=10)
    return outcome


@shared_task(name="gates.reap_stale_runs")
def reap_stale_runs() -> int:
    return check_runs_reap()


@shared_task(name="gates.schedule_monitoring_runs")
def schedule_monitoring_runs() -> int:
    """Level 7 and above: check the default branch head on a schedule."""
    queued = 0
    beat = system_actor("beat")
    projects = Project.objects.filter(
        Q(level__gte=settings.MLTRL_MONITOR_FROM_LEVEL), status=ProjectStatus.ACTIVE
    ).exclude(repository_url="")
    for project in projects:
        if check_run_request(project=project, trigger=RunTrigger.SCHEDULE, actor=beat) is not None:
            queued += 1
    return queued
