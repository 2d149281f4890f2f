"""The engine keeps its mirrors small (``gates.mirror_upkeep``), after a run has ended.

Once a mirror has grown past a limit (lowered here to a few packs), the run
that notices cleans it after its results and status are written; runs after
that give the results a cold run gives, a pinned commit that upkeep removed is
fetched again, and a git failing during upkeep is only logged (and not tried
again after every run).
"""

from __future__ import annotations

import json
import logging

from gates import mirror_upkeep as upkeep_module
from gates.git import Mirror
from gates.mirror_upkeep import signals
from gates.models import CheckRun
from projects import services
from tests.gitrepo import commit
from tests.org import admin_actor

from .steps import execute, head, queue

AWS_ID = "AKIA" + "Q4ZT7W2M9R3X6B1N"  # built from parts: secret scanners skip this file


def _results(run: CheckRun) -> dict:
    assert run.status == "succeeded", run.message
    return {
        r.check_key: (r.outcome, r.message, json.dumps(r.evidence, sort_keys=True), r.fix)
        for r in run.results.all()
    }


def _mirror(project) -> Mirror:
    return Mirror(f"project-{project.pk}", project.repository_url)


def test_a_grown_mirror_is_cleaned_after_the_run_and_results_stay_the_same(
    project, repo, org, monkeypatch
):
    monkeypatch.setattr("gates.mirror_upkeep.MAX_PACKS", 2)
    seen = []  # the run's status each time the engine hands the mirror to upkeep
    original = upkeep_module.mirror_upkeep

    def spy(mirror, **kwargs):
        seen.append(CheckRun.objects.filter(project=project).latest("pk").status)
        return original(mirror, **kwargs)

    monkeypatch.setattr("gates.engine.mirror_upkeep", spy)
    mirror = _mirror(project)
    first = execute(queue(project))
    for n in range(2):
        commit(repo, {"src/model.py": f"def predict(x):\n    return {n} * x\n"}, f"edit {n}")
        execute(queue(project))
    assert seen == ["succeeded"] * 3  # only ever after the results and status are written
    assert signals(mirror.path).packs == 1  # three packs: cleaned after the third run
    assert (mirror.path / "shallow").read_text().split() == [head(repo)]

    commit(repo, {"src/keys.py": f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'}, "a secret")
    warm = execute(queue(project))
    cold_project = services.project_create(
        team=org.teams["research"], slug="cold", name="cold",
        repository_url=project.repository_url, actor=admin_actor(),
    )  # fmt: skip
    cold = execute(queue(cold_project))
    assert warm.commit_sha == cold.commit_sha == head(repo)
    assert _results(warm) == _results(cold)
    assert _results(warm)["no_secrets"][0] == "fail"

    # The first commit is no head any more: upkeep removed it; a run pinned to it
    # fetches it again.
    assert not _mirror(project).has_commit(first.commit_sha)
    expected = _results(first)
    first.delete()  # so that asking for its commit queues a new run
    pinned = execute(queue(project, commit_sha=first.commit_sha, trigger="rerun"))
    assert _results(pinned) == expected


def test_a_git_failing_during_upkeep_is_logged_and_the_run_succeeds(
    project, repo, monkeypatch, caplog
):
    execute(queue(project))
    mirror = _mirror(project)
    packs = signals(mirror.path).packs
    # A ref to an object the mirror lacks: runs never read tags, upkeep's walk fails.
    (mirror.path / "refs" / "tags" / "broken").write_text("1" * 40 + "\n")
    monkeypatch.setattr("gates.mirror_upkeep.MAX_PACKS", 0)
    commit(repo, {"NOTES.md": "notes\n"}, "notes")
    with caplog.at_level(logging.WARNING, logger="gates.mirror_upkeep"):
        run = execute(queue(project))
    assert run.status == "succeeded", run.message
    assert run.commit_sha == head(repo)
    assert "mirror upkeep of" in caplog.text and "failed" in caplog.text
    assert "bad object" in caplog.text
    assert signals(mirror.path).packs == packs + 1  # left as it was, nothing deleted
    # Not tried again after every run: only once RETRY_AFTER_S has passed.
    assert mirror.path.with_suffix(".upkeep-failed").exists()
    caplog.clear()
    commit(repo, {"NOTES.md": "more notes\n"}, "more")
    with caplog.at_level(logging.WARNING, logger="gates.mirror_upkeep"):
        assert execute(queue(project)).status == "succeeded"
    assert "mirror upkeep of" not in caplog.text
    monkeypatch.setattr("gates.mirror_upkeep.RETRY_AFTER_S", 0)
    (mirror.path / "refs" / "tags" / "broken").unlink()  # repaired
    commit(repo, {"NOTES.md": "repaired\n"}, "repaired")
    assert execute(queue(project)).status == "succeeded"
    assert signals(mirror.path).packs == 1
    assert not mirror.path.with_suffix(".upkeep-failed").exists()
