"""A requester who lost access to the project may only withdraw (issue 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gates.models import CheckRun
from projects.services import membership_remove
from reviews import services
from reviews.models import RequestState
from tests.org import SHA_B, admin_actor
from tests.reviews.steps import open_advance

pytestmark = pytest.mark.django_db


@pytest.fixture
def orphaned(org):
    """An open request whose requester has since left the owning team."""
    request = open_advance(org)
    services.signoff_record(
        level_request=request, actor=org.lead, decision="request_changes", tasks=["More data."]
    )
    membership_remove(team=org.teams["research"], user=org.researcher, actor=admin_actor())
    request.refresh_from_db()
    assert request.state == RequestState.CHANGES_REQUESTED
    return request


def test_requester_without_access_cannot_resubmit(org, orphaned):
    with pytest.raises(PermissionDenied):
        services.request_resubmit(level_request=orphaned, actor=org.researcher)
    orphaned.refresh_from_db()
    assert orphaned.state == RequestState.CHANGES_REQUESTED


def test_requester_without_access_cannot_pin_commits_or_rerun(org, orphaned):
    pinned = orphaned.commit_sha
    with pytest.raises(PermissionDenied):
        services.request_pin_commit(level_request=orphaned, commit_sha=SHA_B, actor=org.researcher)
    with pytest.raises(PermissionDenied):
        services.request_checks_rerun(level_request=orphaned, actor=org.researcher)
    orphaned.refresh_from_db()
    assert orphaned.commit_sha == pinned
    assert not CheckRun.objects.filter(commit_sha=SHA_B).exists()


def test_requester_without_access_may_still_withdraw(org, orphaned):
    services.request_withdraw(level_request=orphaned, actor=org.researcher, reason="Left the team.")
    orphaned.refresh_from_db()
    assert orphaned.state == RequestState.WITHDRAWN
