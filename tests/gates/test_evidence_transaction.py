"""A run's success and the evidence level it sets are written in one transaction.

The statements are observed as the database receives them (an execute
wrapper on the real connection): the UPDATE that marks the run succeeded and
the UPDATE that stores the project's evidence level must run inside the same
outermost atomic block, so no reader ever sees a finished run without its
evidence level.
"""

from __future__ import annotations

import pytest
from django.db import connection

from gates.models import CheckRun
from gates.runs import check_run_request
from projects.services import project_update
from tests.gitrepo import make_repo
from tests.gitserver import allow_loopback
from tests.org import build_org

README = (
    "# Vision\n\nThis project detects soldering defects in photographs of printed circuit "
    "boards so that the quality assurance line can stop faulty batches early.\n"
)


class Recorder:
    """Remembers, per statement of interest, the outermost atomic block it ran in."""

    def __init__(self):
        self.seen: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        lowered = sql.lower()
        label = None
        if lowered.startswith('update "gates_checkrun"') and "SUCCEEDED" in repr(params).upper():
            label = "run succeeded"
        elif lowered.startswith('update "projects_project"') and "evidence_level" in lowered:
            label = "evidence level"
        if label:
            # The block object itself (kept alive here), so identity means one transaction.
            outer = connection.atomic_blocks[0] if connection.atomic_blocks else None
            self.seen.append((label, outer))
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_success_and_evidence_level_are_one_transaction(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    org = build_org()
    repo = make_repo(tmp_path / "repos", {"README.md": README, "src/m.py": "x = 1\n"})
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=org.researcher
    )
    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        run = check_run_request(
            project=project, trigger="manual", actor=org.researcher
        )  # eager: runs on commit
    run = CheckRun.objects.get(pk=run.pk)
    project.refresh_from_db()
    assert run.status == "succeeded", run.message
    assert project.evidence_level == 1
    labels = [label for label, _ in recorder.seen]
    assert labels == ["run succeeded", "evidence level"], labels
    (_, run_tx), (_, evidence_tx) = recorder.seen
    assert run_tx is not None
    assert run_tx is evidence_tx, "the evidence level was written in another transaction"
