"""Read-side of check runs for pages and the API: progress and results of a commit."""

from __future__ import annotations

from dataclasses import dataclass

from projects.models import Project

from .models import CheckResult, CheckRun, CheckRunStatus


@dataclass(frozen=True)
class RunProgress:
    run: CheckRun | None
    results: list[CheckResult]

    @property
    def label(self) -> str:
        run = self.run
        if run is None:
            return "No check run yet."
        if run.status == CheckRunStatus.QUEUED:
            return "Waiting for a worker."
        if run.status == CheckRunStatus.RUNNING:
            if not run.commit_sha:
                return "Fetching the repository."
            return f"{run.progress_done} of {run.progress_total} checks done."
        return run.message or run.get_status_display()


def run_progress_for(*, project: Project, commit_sha: str, request_id: int | None) -> RunProgress:
    """The run that holds (or will hold) the results a request needs, with its results.

    Prefers a live or finished run on the pinned commit; before a commit is
    pinned, the newest run the request asked for. Two queries.
    """
    runs = CheckRun.objects.filter(project=project)
    run = None
    if commit_sha:
        run = (
            runs.filter(commit_sha=commit_sha)
            .exclude(status=CheckRunStatus.CANCELLED)
            .order_by("-pk")
            .first()
        )
    if run is None and request_id is not None:
        run = runs.filter(request_id=request_id).order_by("-pk").first()
        if run is not None and run.duplicate_of_id:
            run = CheckRun.objects.get(pk=run.duplicate_of_id)
    results = list(run.results.order_by("check_key")) if run is not None else []
    return RunProgress(run, results)
