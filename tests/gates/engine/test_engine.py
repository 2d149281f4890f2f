"""The check-run engine, in process: real repositories over file:// or loopback servers.

Runs are queued with ``gates.runs.check_run_request`` and executed with
``gates.engine.check_run_execute`` directly; ``on_commit`` work (announcing
results, re-pinning the request, enqueueing) runs only where a test captures it
with ``django_capture_on_commit_callbacks(execute=True)``. Expectations come from
the registered catalog (``repository_checks()``) at test time.
"""

from __future__ import annotations

import re

import pytest
from celery.exceptions import Retry

from gates.engine import TransientRunError, check_run_execute
from gates.models import CheckResult, CheckRun
from gates.tasks import run_checks
from mltrl_site.celery import app as celery_app
from projects.models import AuditEvent
from projects.services import project_update
from reviews import services as reviews
from reviews.models import RequestState, SignOff
from tests.gitrepo import commit, make_repo
from tests.gitserver import GitHttpServer, closed_port
from tests.hostile_servers import StallServer
from tests.org import admin_actor

from .steps import README, execute, head, keys, outcomes, queue


def test_run_resolves_branch_head_and_stores_one_result_per_check(project, repo):
    assert keys(), "the check catalog registered no repository check"
    run = execute(queue(project))
    assert run.status == "succeeded"
    assert run.commit_sha == head(repo)
    assert sorted(outcomes(run)) == sorted(keys()) == sorted(run.check_keys)
    assert run.progress_done == run.progress_total == len(keys())
    assert run.message.startswith(f"{len(keys())} checks on {head(repo)[:10]}: ")
    assert (run.attempts, run.error_kind, run.finished_at is not None) == (1, "", True)


def test_asking_again_for_the_same_commit_reuses_the_run(project, repo, capture):
    first = execute(queue(project))
    with capture() as enqueued:
        again = queue(project, commit_sha=head(repo), trigger="rerun")
    assert again.pk == first.pk
    assert enqueued == []  # nothing new to execute
    assert CheckRun.objects.filter(project=project).count() == 1
    assert check_run_execute(first.pk) == "skipped"
    assert CheckResult.objects.filter(run__project=project).count() == len(keys())


def test_new_commit_repins_the_request_and_stales_approvals(project, repo, org, capture):
    request = reviews.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=1
    )
    first = execute(CheckRun.objects.get(request_id=request.pk), capture)
    request.refresh_from_db()
    assert request.commit_sha == first.commit_sha == head(repo)
    approval = reviews.signoff_record(level_request=request, actor=org.lead, decision="approve")
    assert request.state == RequestState.OPEN  # the card's TL;DR is still missing
    new_head = commit(repo, {"src/model.py": "def predict(x):\n    return 2 * x\n"}, "two")
    reviews.request_checks_rerun(level_request=request, actor=org.researcher)
    second = CheckRun.objects.filter(request_id=request.pk).exclude(pk=first.pk).get()
    execute(second, capture)
    request.refresh_from_db()
    approval.refresh_from_db()
    assert (second.status, second.commit_sha) == ("succeeded", new_head)
    assert request.commit_sha == new_head
    assert approval.stale
    assert SignOff.objects.filter(request=request, stale=False, decision="approve").count() == 0


def test_newest_run_of_a_request_cancels_its_older_queued_runs(project, org):
    request = reviews.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=1
    )
    older = CheckRun.objects.get(request_id=request.pk)
    reviews.request_checks_rerun(level_request=request, actor=org.researcher)
    newer = CheckRun.objects.get(request_id=request.pk, status="queued")
    older.refresh_from_db()
    assert older.status == "cancelled"
    assert f"Superseded by run {newer.pk}" in older.message
    assert check_run_execute(older.pk) == "skipped"
    assert not older.results.exists()
    assert execute(newer).status == "succeeded"


def test_already_checked_commit_ends_as_duplicate_and_pins_the_request(project, repo, org, capture):
    checked = execute(queue(project))
    request = reviews.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=1
    )
    run = execute(CheckRun.objects.get(request_id=request.pk), capture)
    request.refresh_from_db()
    assert (run.status, run.duplicate_of_id, run.commit_sha) == (
        "cancelled",
        checked.pk,
        head(repo),
    )
    assert f"already checked in run {checked.pk}" in run.message
    assert not run.results.exists()
    assert request.commit_sha == head(repo)
    assert checked.results.count() == len(keys())


def test_malformed_config_makes_every_result_an_error(root, org):
    repo = make_repo(root, {"README.md": README, ".mltrl.toml": "[paths\nreadme = 'x'\n"})
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    run = execute(queue(project))
    assert run.status == "succeeded"
    results = list(run.results.all())
    assert len(results) == len(keys())
    assert {r.outcome for r in results} == {"error"}
    assert all(".mltrl.toml is not valid TOML" in r.message for r in results)
    assert all(".mltrl.toml" in r.fix for r in results)


def test_executing_a_run_twice_gives_one_set_of_results(project):
    run = queue(project)
    assert check_run_execute(run.pk) == "done"
    assert check_run_execute(run.pk) == "skipped"
    run.refresh_from_db()
    assert run.results.count() == len(keys())
    assert run.attempts == 1


@pytest.mark.parametrize("server", ["stall", "closed"])
def test_transient_errors_put_the_run_back_in_the_queue(org, root, settings, server):
    settings.MLTRL_GIT_TIMEOUT_S = 2  # the stalled fetch is stopped by our timer
    with StallServer() as stall:
        url = stall.url("repo.git") if server == "stall" else f"http://127.0.0.1:{closed_port()}/r"
        project = project_update(project=org.project, repository_url=url, actor=admin_actor())
        run = queue(project)
        with pytest.raises(TransientRunError) as caught:
            check_run_execute(run.pk)
    run.refresh_from_db()
    kind = "timeout" if server == "stall" else "network"
    assert caught.value.error.kind == kind
    assert (run.status, run.claimed_by, run.error_kind) == ("queued", "", kind)
    assert run.message == caught.value.error.message
    assert not run.results.exists()


def test_task_retries_transient_errors_with_backoff_then_gives_up(org, root):
    url = f"http://127.0.0.1:{closed_port()}/repo.git"
    project = project_update(project=org.project, repository_url=url, actor=admin_actor())
    run = queue(project)
    with pytest.raises(Retry, match="Retry in 20s"):  # third try: 5 s * 2**2
        run_checks.apply(args=[run.pk], retries=2)
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("queued", 1)
    # Eager Celery re-applies each retry at once; let it run the whole chain.
    previous, celery_app.conf.task_eager_propagates = celery_app.conf.task_eager_propagates, False
    try:
        assert run_checks.apply(args=[run.pk]).get() == "gave_up"
    finally:
        celery_app.conf.task_eager_propagates = previous
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("failed", 1 + 4)
    host = url.split("/")[2]
    assert re.fullmatch(
        rf"The repository server {host} could not be reached: it refused the connection or "
        rf"did not answer\. Gave up after 4 tries over \d+ s\. Check that {host} is up and "
        r"reachable from this server, then re-run the checks\.",
        run.message,
    ), run.message
    assert "retrying" not in run.message
    assert run.finished_at is not None
    assert run_checks.apply(args=[run.pk]).get() == "skipped"


@pytest.mark.parametrize(
    ("auth", "name", "kind", "words"),
    [
        (None, "missing.git", "not_found", "not found"),
        (("ada", "pw"), "repo.git", "auth_required", "needs authentication"),
    ],
)
def test_user_errors_fail_the_run_without_retry(org, root, repo, auth, name, kind, words):
    (root / "repo.git").symlink_to(repo)
    with GitHttpServer(root, auth=auth) as http:
        project = project_update(
            project=org.project, repository_url=http.url(name), actor=admin_actor()
        )
        run = queue(project)
        result = run_checks.apply(args=[run.pk])
    run.refresh_from_db()
    assert (result.state, result.get()) == ("SUCCESS", "done")
    assert (run.status, run.error_kind, run.attempts) == ("failed", kind, 1)
    assert words in run.message
    assert not run.results.exists()


def test_pinned_commit_missing_from_the_branch_fails_the_run(project):
    run = execute(queue(project, commit_sha="f" * 40))
    assert (run.status, run.error_kind) == ("failed", "commit_not_found")
    assert "is not on the branch 'main' any more" in run.message


def test_project_without_repository_gets_no_run(org):
    assert org.project.repository_url == ""
    assert queue(org.project) is None
    request = reviews.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1
    )
    assert request.state == RequestState.OPEN
    assert not CheckRun.objects.filter(project=org.project).exists()


def test_evidence_level_follows_the_newest_run_only(root, org, capture):
    repo = make_repo(root, {"src/model.py": "def predict(x):\n    return x\n"})
    without_readme = head(repo)
    with_readme = commit(repo, {"README.md": README}, "readme")
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    older = queue(project, commit_sha=without_readme)
    newer = execute(queue(project), capture)
    assert newer.commit_sha == with_readme
    assert outcomes(newer)["readme_purpose"] == "pass"
    assert outcomes(newer)["experiment_records"] == "fail"
    project.refresh_from_db()
    assert project.evidence_level == 1
    moved = AuditEvent.objects.filter(project=project, kind="evidence.changed")
    assert [e.payload["commit"] for e in moved] == [with_readme]
    older = execute(older, capture)  # finishes later, on an older commit
    assert older.status == "succeeded"
    assert outcomes(older)["readme_purpose"] == "fail"
    project.refresh_from_db()
    assert project.evidence_level == 1
    assert moved.count() == 1


def test_evidence_level_ignores_an_old_commit_checked_late(root, org, capture):
    repo = make_repo(root, {"src/model.py": "def predict(x):\n    return x\n"})
    without_readme = head(repo)
    commit(repo, {"README.md": README}, "readme")
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    execute(queue(project), capture)
    project.refresh_from_db()
    assert project.evidence_level == 1
    late = execute(queue(project, commit_sha=without_readme), capture)
    assert outcomes(late)["readme_purpose"] == "fail"
    project.refresh_from_db()
    assert project.evidence_level == 1  # the branch head still has its README


def test_the_file_cap_fails_cold_and_warm_runs_alike(project, repo, settings, monkeypatch):
    """The warm run's listing is patched from the stored one (``gates.listing``) and
    read beside the fetch (``gates.run_prepare``); the cap still ends it, as ``ls-tree``'s
    listing ends a cold run."""
    from gates.git import Mirror, RepoSnapshot

    listed_by_git: list[str] = []
    original = RepoSnapshot._iter_tree

    def spy(self):
        listed_by_git.append(self.sha)
        return original(self)

    monkeypatch.setattr(RepoSnapshot, "_iter_tree", spy)
    monkeypatch.setattr("gates.run_prepare.PATCH_MIN_ENTRIES", 0)  # patch even 3 files
    first = execute(queue(project))
    assert first.status == "succeeded"
    assert Mirror(f"project-{project.pk}", project.repository_url).listing_path.exists()
    commit(repo, {"src/extra.py": "X = 1\n"}, "one more file")
    settings.MLTRL_GIT_MAX_FILES = 2  # README.md, src/model.py and now src/extra.py
    warm = execute(queue(project))
    assert (warm.status, warm.error_kind) == ("failed", "too_many_files")
    assert "more than 2 files" in warm.message
    assert listed_by_git == [first.commit_sha]  # the warm run patched, never ran ls-tree
    settings.MLTRL_GIT_MAX_FILES = 3
    again = execute(queue(project, commit_sha=warm.commit_sha))
    assert again.status == "succeeded", again.message
