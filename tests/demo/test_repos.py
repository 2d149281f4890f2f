"""The demo's sample repositories (``demo.repos``) and the setting that allows them.

No database: the repositories are built with the git CLI in a temporary folder.
That their content passes (or honestly fails) the real checks is asserted in
``test_seed_demo``, where the seed runs the catalog on every commit it pins.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo.repos import DemoRepoError, commit_plan, repos_ensure
from demo.stories import STORIES

BASE_DIR = Path(__file__).resolve().parents[2]
STORY = {s.slug: s for s in STORIES}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _files(repo: Path) -> set[str]:
    return set(_git(repo, "ls-tree", "-r", "--name-only", "main").split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-repos")
    return root, repos_ensure(root, STORIES)


def test_one_repository_per_story_with_its_history(built):
    root, repos = built
    assert set(repos) == set(STORY)
    for slug, repo in repos.items():
        assert repo.path == (root / slug).resolve()
        assert repo.url == f"file://{repo.path}"
        assert _git(repo.path, "rev-list", "--reverse", "main").split() == [
            c.sha for c in repo.commits
        ]
        assert _git(repo.path, "config", "uploadpack.allowFilter").strip() == "true"
        planned = commit_plan(STORY[slug])
        assert [c.message for c in repo.commits] == [p.message for p in planned]
        # Requests pin the first commits; only the last may be later work.
        assert all(c.for_request for c in repo.commits[:-1])


def test_maturities_differ(built):
    _, repos = built
    assert _files(repos["weather-nowcast"].path) == {"README.md", "notes/reading-list.md"}
    everything = _files(repos["defect-vision"].path)
    assert {
        "README.md",
        "experiments/configs/baseline.yaml",
        "docs/research-requirements.md",
        "tests/test_model.py",
        ".github/workflows/ci.yml",
        "LICENSE",
        "requirements.txt",
        "DATASHEET.md",
        "ETHICS.md",
        "docs/product-requirements.md",
        "MODEL_CARD.md",
        "docs/interface.md",
        "docs/openapi.yaml",
        "tests/integration/test_service.py",
        "deploy/logging.yaml",
        "MONITORING.md",
        "RUNBOOK.md",
    } <= everything
    assert len(repos["defect-vision"].commits) == 9
    research = _files(repos["clause-extraction"].path)
    assert "README.md" in research and "LICENSE" not in research


def test_ci_reports_follow_the_tree(built):
    _, repos = built
    for commit in repos["defect-vision"].commits:
        keys = {r.key for r in commit.ci}
        assert keys <= {"ci_unit_tests", "coverage", "golden_eval"}
        assert all(r.outcome == "pass" for r in commit.ci)
    assert not repos["defect-vision"].commits[2].ci  # no CI before level 4
    churn = repos["churn-forecaster"].commits
    coverage = {r.key: r for r in churn[-1].ci}["coverage"]
    assert (coverage.outcome, coverage.details["percent"]) == ("fail", 71)
    assert all(r.outcome == "pass" for c in churn[:-1] for r in c.ci)


def test_building_again_leaves_repositories_alone(built):
    root, repos = built
    before = {slug: (root / slug / ".git").stat().st_ino for slug in repos}
    again = repos_ensure(root, STORIES)
    assert {slug: r.commits for slug, r in again.items()} == {
        slug: r.commits for slug, r in repos.items()
    }
    assert {slug: (root / slug / ".git").stat().st_ino for slug in again} == before
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no staging left


def test_same_stories_same_shas_anywhere(built, tmp_path):
    _, repos = built
    elsewhere = repos_ensure(tmp_path, STORIES[:2])
    for slug, repo in elsewhere.items():
        assert [c.sha for c in repo.commits] == [c.sha for c in repos[slug].commits]


def test_a_demo_repository_with_another_history_is_rebuilt(built, tmp_path):
    _, repos = built
    story = STORY["clause-extraction"]
    first = repos_ensure(tmp_path, (story,))[story.slug]
    (first.path / "NOTES.md").write_text("someone's commit\n")
    _git(first.path, "add", "NOTES.md")
    _git(first.path, "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "notes")
    rebuilt = repos_ensure(tmp_path, (story,))[story.slug]
    assert rebuilt.commits == repos[story.slug].commits
    assert _git(rebuilt.path, "rev-parse", "main").strip() == rebuilt.head
    assert not (rebuilt.path / "NOTES.md").exists()


def test_a_folder_the_demo_did_not_build_is_never_touched(tmp_path):
    story = STORY["clause-extraction"]
    stranger = tmp_path / story.slug
    stranger.mkdir()
    _git(stranger, "init", "-q", "-b", "main")
    (stranger / "README.md").write_text("someone else's\n")
    with pytest.raises(DemoRepoError, match="is not a demo repository"):
        repos_ensure(tmp_path, (story,))
    assert (stranger / "README.md").read_text() == "someone else's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [story.slug]  # no staging left


# --- the setting ----------------------------------------------------------------------


def _file_root(tmp_path: Path, **variables: str) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith("MLTRL_")
    }
    env.update(MLTRL_VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="mltrl_site.settings")
    env.update(variables)
    code = "from django.conf import settings; print(settings.MLTRL_GIT_FILE_ROOT)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_file_root_defaults_to_the_demo_folder_only_in_debug(tmp_path):
    assert _file_root(tmp_path) == str(tmp_path / "var" / "demo-repos")
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 60, "MLTRL_AUDIT_KEY": "y" * 40}
    assert _file_root(tmp_path, **production) == "None"
    assert _file_root(tmp_path, MLTRL_GIT_FILE_ROOT="/srv/repos") == "/srv/repos"
    assert _file_root(tmp_path, MLTRL_GIT_FILE_ROOT="/srv/repos", **production) == "/srv/repos"
