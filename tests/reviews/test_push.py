"""A push reported by CI: the commit is checked and the request follows its branch."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gates.models import CheckRun
from projects.services import project_update
from reviews import followups, services
from reviews.models import SignOff
from tests.org import SHA_A, SHA_B, admin_actor


@pytest.fixture
def linked(org, settings, tmp_path):
    settings.MLTRL_GIT_FILE_ROOT = str(tmp_path)
    (tmp_path / "repo.git").mkdir()
    project = project_update(
        project=org.project, repository_url=f"file://{tmp_path}/repo.git", actor=admin_actor()
    )
    project.card.tldr = "Rank tickets."
    project.card.save()
    return org, project


def test_push_to_the_branch_repins_the_request_and_stales_approvals(
    linked, django_capture_on_commit_callbacks
):
    org, project = linked
    with django_capture_on_commit_callbacks(execute=False):
        request = services.request_open(
            project=project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
        )
        services.signoff_record(level_request=request, actor=org.lead, decision="approve")
        followups.push_record(
            project=project, branch="main", commit_sha=SHA_B, actor=org.researcher
        )
    request.refresh_from_db()
    assert request.commit_sha == SHA_B
    assert SignOff.objects.get(request=request, reviewer=org.lead).stale is True
    run = CheckRun.objects.get(project=project, commit_sha=SHA_B)
    assert run.status == "queued" and run.request_id == request.pk
    # newest commit wins: the run of the older commit was cancelled
    assert CheckRun.objects.get(project=project, commit_sha=SHA_A).status == "cancelled"


def test_push_to_another_branch_checks_the_commit_but_moves_no_request(
    linked, django_capture_on_commit_callbacks
):
    org, project = linked
    with django_capture_on_commit_callbacks(execute=False):
        request = services.request_open(
            project=project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
        )
        followups.push_record(
            project=project, branch="feature/x", commit_sha=SHA_B, actor=org.researcher
        )
    request.refresh_from_db()
    assert request.commit_sha == SHA_A
    assert CheckRun.objects.get(project=project, commit_sha=SHA_B).request_id is None


def test_push_needs_the_request_permission_and_a_full_sha(linked):
    org, project = linked
    with pytest.raises(PermissionDenied):
        followups.push_record(project=project, branch="main", commit_sha=SHA_B, actor=org.outsider)
    with pytest.raises(ValidationError, match="not a full commit SHA"):
        followups.push_record(
            project=project, branch="main", commit_sha="abc", actor=org.researcher
        )
    assert not CheckRun.objects.filter(project=project).exists()
