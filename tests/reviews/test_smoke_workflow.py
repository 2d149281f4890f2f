"""One gate end to end through the services: the smallest complete climb."""

import pytest

from gates.services import check_run_record_completed
from projects.actors import system_actor
from reviews import services
from reviews.models import RequestState
from reviews.selectors import request_verdict
from tests.org import SHA_A


@pytest.mark.django_db
def test_advance_zero_to_one_applies_level_when_gate_holds(org):
    project = org.project
    project.card.tldr = "Detect defects in images."
    project.card.save()
    request = services.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == (
        "Needs 1 more approval from research-lead.",
        "Check readme_purpose has no result: No result on this commit yet.",
    )
    check_run_record_completed(
        project=project,
        commit_sha=SHA_A,
        results=[{"check_key": "readme_purpose", "outcome": "pass", "message": "README found"}],
        actor=system_actor("worker"),
    )
    services.signoff_record(level_request=request, actor=org.lead, decision="approve")
    request.refresh_from_db()
    project.refresh_from_db()
    assert request.state == RequestState.APPROVED
    assert project.level == 1
