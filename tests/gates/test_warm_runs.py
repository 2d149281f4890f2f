"""Warm runs through the engine give exactly the results of cold runs.

A warm run keeps the mirror, the per-blob facts and the check memos, and asks
git which paths changed since the commit the memos hold (``Mirror.changed_paths``)
to decide what to run again. Each scenario commits one change that moves a
secret (added, removed, renamed, moved within a file, a second one in an
unchanged file's neighbour) and compares, check by check, a warm run of one
project with a cold run (empty mirror, no facts) of another project on the
same repository and commit. Served by ``git daemon``, so the fetch takes the
``git://`` path (protocol version 0, remote given on the command line).
"""

from __future__ import annotations

import json
import shutil

import pytest

from gates.engine import check_run_execute
from gates.git import Mirror
from gates.models import CheckRun
from gates.runs import check_run_request
from projects import services
from projects.actors import system_actor
from tests.gitrepo import commit, make_repo
from tests.gitserver import GitDaemon, allow_loopback
from tests.org import admin_actor

AWS_ID = "AKIA" + "Q4ZT7W2M9R3X6B1N"  # built from parts: secret scanners skip this file
GH_TOKEN = "ghp_" + "Zq8Lm3Nv5Bx7Cr9Dt2Fy4Gh6Jk8Lp1Qw3Es5"
README = (
    "# Tickets\n\n## Purpose\n\nRank support tickets by urgency so that the on-call team "
    "answers the most pressing ones first.\n"
)
BASE = {
    "README.md": README,
    "src/ranker/model.py": "def score(ticket):\n    return len(ticket)\n",
    "src/ranker/settings.py": "TIMEOUT = 30\n",
    "tests/test_model.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    "requirements.txt": "numpy==1.26.4\n",
    "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge...\n",
    **{f"pkg/module_{n}.py": f"VALUE = {n}\n" for n in range(30)},
}
SECRET_FILE = "src/ranker/keys.py"
SECRET = f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n'
CREDS = "src/ranker/creds.py"
# Each step is committed on top of the previous one: (name, changes, secret paths expected).
STEPS = [
    ("a file with a secret added", {SECRET_FILE: SECRET}, {SECRET_FILE}),
    ("an unrelated edit", {"src/ranker/settings.py": "TIMEOUT = 60\n"}, {SECRET_FILE}),
    ("the file renamed", {SECRET_FILE: None, CREDS: SECRET}, {CREDS}),
    ("the secret moved down a line", {CREDS: "\n\n" + SECRET}, {CREDS}),
    ("a second secret beside it", {"src/ranker/gh.py": f'TOKEN = "{GH_TOKEN}"\n'},
     {CREDS, "src/ranker/gh.py"}),
    ("the first file removed", {CREDS: None}, {"src/ranker/gh.py"}),
    ("the secret replaced by the environment",
     {"src/ranker/gh.py": "import os\nTOKEN = os.environ['GH_TOKEN']\n"}, set()),
]  # fmt: skip


@pytest.fixture
def served(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors")
    settings.MLTRL_GIT_TIMEOUT_S = 60
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    (tmp_path / "served").mkdir()
    repo = make_repo(tmp_path / "served", BASE, name="tickets.git", bare=True)
    with GitDaemon(tmp_path / "served") as daemon:
        yield repo, daemon.url("tickets.git")


def _project(org, slug: str, url: str):
    return services.project_create(
        team=org.teams["research"],
        slug=slug,
        name=slug,
        repository_url=url,
        actor=admin_actor(),
    )


def _run(project) -> tuple[CheckRun, dict]:
    run = check_run_request(project=project, trigger="manual", actor=system_actor("worker"))
    check_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded", run.message
    results = {
        r.check_key: (r.outcome, r.message, json.dumps(r.evidence, sort_keys=True), r.fix)
        for r in run.results.all()
    }
    return run, results


def _forget(project) -> None:
    """Empty mirror, no facts: the next run of ``project`` is cold."""
    mirror = Mirror(f"project-{project.pk}", project.repository_url)
    shutil.rmtree(mirror.path, ignore_errors=True)
    for path in (mirror.facts_path, mirror.listing_path):
        path.unlink(missing_ok=True)
        path.with_name(f"{path.name}.journal").unlink(missing_ok=True)


def test_warm_runs_find_and_clear_secrets_exactly_as_cold_runs(org, served, monkeypatch):
    repo, url = served
    warm_project, cold_project = _project(org, "warm", url), _project(org, "cold", url)
    decided_by_changes = []
    original = Mirror.changed_paths

    def spy(self, old, new):
        changed = original(self, old, new)
        decided_by_changes.append(changed)
        return changed

    monkeypatch.setattr(Mirror, "changed_paths", spy)
    # Warm listings patched from the stored one (gates.listing), as on a large tree.
    monkeypatch.setattr("gates.run_prepare.PATCH_MIN_ENTRIES", 0)
    _run(warm_project)
    for name, changes, expected in STEPS:
        sha = commit(repo, changes, name)
        warm_run, warm = _run(warm_project)
        _forget(cold_project)
        cold_run, cold = _run(cold_project)
        assert warm_run.commit_sha == cold_run.commit_sha == sha
        assert warm == cold, name
        secrets = CheckRun.objects.get(pk=warm_run.pk).results.get(check_key="no_secrets")
        found = {f["path"] for f in secrets.evidence["findings"]}
        assert found == expected, name
        assert secrets.outcome == ("fail" if expected else "pass"), name
        assert AWS_ID not in secrets.message + json.dumps(secrets.evidence)
    # Every warm run decided reuse from git's changed paths (never fell back to the
    # digests); cold runs have no previous commit, so they never ask.
    assert len(decided_by_changes) == len(STEPS)
    assert all(changed for changed in decided_by_changes), decided_by_changes
    # The warm project's fact store and listing were kept as journals between runs.
    mirror = Mirror(f"project-{warm_project.pk}", url)
    assert mirror.facts_path.with_name(f"{mirror.facts_path.name}.journal").exists()
    assert mirror.listing_path.with_name(f"{mirror.listing_path.name}.journal").exists()


def test_the_mirror_config_never_names_a_promisor_remote(org, served):
    repo, url = served
    project = _project(org, "vision-config", url)
    mirror = Mirror(f"project-{project.pk}", url)
    _run(project)
    written = (mirror.path / "config").read_text()
    assert "promisor" not in written and "remote" not in written and url not in written
    # A mirror written by an older version (remote section in its config) loses it.
    (mirror.path / "config").write_text(
        written + f'[remote "origin"]\n\turl = {url}\n\tpromisor = true\n'
        "\tpartialclonefilter = blob:limit=1\n"
    )
    commit(repo, {"NOTES.md": "more\n"}, "notes")
    _, results = _run(project)
    assert "remote" not in (mirror.path / "config").read_text()
    assert results["no_secrets"][0] == "pass"
