"""Fixtures of the engine tests: loopback git allowed, a real repository over file://,
its project, and capturing on_commit work."""

from __future__ import annotations

import pytest

from projects.models import Project
from projects.services import project_update
from tests.gitrepo import make_repo
from tests.gitserver import allow_loopback
from tests.org import admin_actor

from .steps import README


@pytest.fixture
def root(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    # Generous for a loaded machine; the stalling-server tests set their own short one.
    settings.MLTRL_GIT_TIMEOUT_S = 60
    return tmp_path / "repos"


@pytest.fixture
def repo(root):
    return make_repo(root, {"README.md": README, "src/model.py": "def predict(x):\n    return x\n"})


@pytest.fixture
def project(org, repo) -> Project:
    return project_update(project=org.project, repository_url=f"file://{repo}", actor=admin_actor())


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks
