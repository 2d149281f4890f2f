"""Fixtures for gate tests: real git repositories and running one check on them."""

from __future__ import annotations

import pytest

from gates.checks import REGISTRY
from gates.checks.base import CheckContext, CheckOutput
from gates.checks.config import CONFIG_PATH, config_parse
from gates.git import RepoSnapshot
from tests.gitrepo import RepoFactory


@pytest.fixture
def repo_factory(settings, tmp_path) -> RepoFactory:
    """``repo_factory(files, symlinks=None, **limits)`` -> snapshot of a new repository."""
    return RepoFactory(settings, tmp_path / "repos")


def check_context(snapshot: RepoSnapshot) -> CheckContext:
    return CheckContext(snapshot, config_parse(snapshot.read_text(CONFIG_PATH)))


@pytest.fixture
def run_check(repo_factory):
    """``run_check(key, files, symlinks=None, **limits)``: that check's output on a new repo."""

    def run(key: str, files, symlinks=None, **limits) -> CheckOutput:
        snapshot = repo_factory(files, symlinks, **limits)
        return REGISTRY[key].run(check_context(snapshot))

    return run
