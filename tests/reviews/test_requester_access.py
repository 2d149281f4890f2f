"""A requester who lost access to the project may only withdraw (issue 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from gates.models import CheckRun
from projects.services import membership_remove
from reviews import services
from reviews.models import RequestState
from tests.api.conftest import token_client
from tests.org import SHA_B, admin_actor, make_user
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


def test_over_the_api_the_requester_reads_and_withdraws_only_that_request(org, orphaned):
    """API: the request's detail, its checks and withdraw reach it (they answered 404),
    as the browser's page and panels do; resubmit, re-run and the project's other
    requests stay out of reach."""
    client = token_client(org.researcher)
    url = f"/api/v1/requests/{orphaned.pk}/"
    assert client.get(url).json()["state"] == RequestState.CHANGES_REQUESTED
    checks = client.get(url + "checks/")
    assert checks.status_code == 200 and checks.json()["request"] == orphaned.pk
    assert client.post(url + "resubmit/", {}, format="json").status_code == 404
    assert client.post(url + "rerun/").status_code == 404
    assert client.get("/api/v1/projects/vision/").status_code == 404
    assert client.get("/api/v1/requests/").json()["count"] == 0
    withdrawn = client.post(url + "withdraw/", {"reason": "Left the team."}, format="json")
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["state"] == RequestState.WITHDRAWN


def test_in_the_browser_the_requester_sees_the_page_and_withdraws(org, orphaned, client):
    client.force_login(org.researcher)
    assert client.get(f"/reviews/{orphaned.pk}/").status_code == 200
    assert client.get(f"/reviews/{orphaned.pk}/resubmit/").status_code == 404
    response = client.post(f"/reviews/{orphaned.pk}/withdraw/", {"reason": "Left the team."})
    assert response.status_code == 302, response.content[:300]
    orphaned.refresh_from_db()
    assert orphaned.state == RequestState.WITHDRAWN


def test_someone_else_without_access_still_gets_404(org, orphaned, client):
    client.force_login(make_user("stranger"))
    assert client.get(f"/reviews/{orphaned.pk}/").status_code == 404
    assert client.post(f"/reviews/{orphaned.pk}/withdraw/", {"reason": "x"}).status_code == 404
