"""Re-running a request's checks, and comments on requests: who may, and when not."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gates.models import CheckRun
from projects.services import project_update
from reviews import services
from reviews.models import Comment
from tests.org import admin_actor
from tests.reviews.steps import approve_all, open_advance, ready


@pytest.fixture
def linked(org, settings, tmp_path):
    settings.MLTRL_GIT_FILE_ROOT = str(tmp_path)
    (tmp_path / "repo.git").mkdir()
    project_update(
        project=org.project, repository_url=f"file://{tmp_path}/repo.git", actor=admin_actor()
    )
    return org


def test_rerun_is_refused_to_others_and_without_a_repository(org):
    request = open_advance(org)
    with pytest.raises(ValidationError, match="Link a repository to this project"):
        services.request_checks_rerun(level_request=request, actor=org.researcher)
    with pytest.raises(PermissionDenied):
        services.request_checks_rerun(level_request=request, actor=org.eng)  # a reviewer
    with pytest.raises(PermissionDenied):
        services.request_checks_rerun(level_request=request, actor=org.outsider)
    assert not CheckRun.objects.exists()


def test_rerun_of_a_finished_request_is_refused(linked, django_capture_on_commit_callbacks):
    org = linked
    with django_capture_on_commit_callbacks(execute=False):
        request = ready(open_advance(org))
        approve_all(org, request, ["lead"])
    runs = CheckRun.objects.count()
    with pytest.raises(
        ValidationError, match="was approved and is closed; its checks cannot be re-run"
    ):
        services.request_checks_rerun(level_request=request, actor=org.researcher)
    assert CheckRun.objects.count() == runs


def test_rerun_queues_a_run_of_the_branch_head(linked, django_capture_on_commit_callbacks):
    org = linked
    with django_capture_on_commit_callbacks(execute=False):
        request = open_advance(org)
        services.request_checks_rerun(level_request=request, actor=org.researcher)
    rerun = CheckRun.objects.filter(request_id=request.pk).latest("pk")
    assert (rerun.trigger, rerun.status, rerun.commit_sha) == ("rerun", "queued", "")


def test_anyone_who_sees_the_project_may_comment(org):
    request = open_advance(org)
    services.comment_add(level_request=request, actor=org.prod, body="  Looks promising.  ")
    comment = Comment.objects.get(request=request)
    assert (comment.author, comment.body) == (org.prod, "Looks promising.")


def test_comments_are_refused_to_outsiders_and_when_empty(org):
    request = open_advance(org)
    with pytest.raises(PermissionDenied):
        services.comment_add(level_request=request, actor=org.outsider, body="hello")
    with pytest.raises(ValidationError, match=r"A comment cannot be empty\."):
        services.comment_add(level_request=request, actor=org.lead, body="   ")
    assert not Comment.objects.exists()
