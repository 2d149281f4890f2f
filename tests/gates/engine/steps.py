"""Steps of the engine tests: the README every test repository starts with, the
catalog's keys, queueing and executing a run in process, reading its outcomes."""

from __future__ import annotations

import subprocess

from gates.checks.base import repository_checks
from gates.engine import check_run_execute
from gates.models import CheckRun
from gates.runs import check_run_request
from projects.actors import system_actor

README = (
    "# Vision\n\nThis project detects soldering defects in photographs of printed circuit "
    "boards so that the quality assurance line can stop faulty batches early.\n"
)


def head(repo) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()


def keys() -> list[str]:
    return [c.key for c in repository_checks()]


def queue(project, **kwargs) -> CheckRun:
    kwargs.setdefault("actor", system_actor("worker"))
    return check_run_request(project=project, trigger=kwargs.pop("trigger", "manual"), **kwargs)


def execute(run: CheckRun, capture=None) -> CheckRun:
    """Execute ``run``; with ``capture``, also run the on_commit work it scheduled."""
    if capture is None:
        check_run_execute(run.pk)
    else:
        with capture(execute=True):
            check_run_execute(run.pk)
    run.refresh_from_db()
    return run


def outcomes(run: CheckRun) -> dict[str, str]:
    return dict(run.results.values_list("check_key", "outcome"))
