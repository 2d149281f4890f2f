"""Requests over the API: the detail carries the gate evaluation; opening and sign-off rules."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from reviews import services
from reviews.models import LevelChangeRequest
from reviews.waivers import waiver_grant
from tests.api.conftest import session_client, token_client
from tests.org import SHA_A


def test_open_then_detail_shows_what_is_missing_in_sentences_and_data(org):
    client = token_client(org.researcher, scopes=("read", "requests:write"))
    response = client.post(
        "/api/v1/requests/",
        {"project": "vision", "kind": "advance", "to_level": 1, "commit": SHA_A},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["requester"], body["commit_sha"]) == ("open", "researcher", SHA_A)
    gate = body["gate"]
    assert gate["approved"] is False
    assert "Needs 1 more approval from research-lead." in gate["missing"]
    assert (
        gate["slots"] == [{"roles": ["research-lead"], "count": 1, "scope": "any", "filled_by": []}]
        or gate["slots"][0]["filled_by"] == []
    )
    assert {"check": "readme_purpose", "outcome": None, "waived": False}.items() <= gate["checks"][
        0
    ].items()
    assert client.get(body["url"]).json()["id"] == body["id"]


def test_open_refusals_are_400_with_the_services_sentence(org):
    client = token_client(org.researcher)
    skip = client.post(
        "/api/v1/requests/", {"project": "vision", "kind": "advance", "to_level": 3}, format="json"
    )
    assert skip.status_code == 400
    assert skip.json()["fields"]["non_field_errors"]
    client.post("/api/v1/requests/", {"project": "vision", "kind": "advance", "to_level": 1})
    again = client.post(
        "/api/v1/requests/", {"project": "vision", "kind": "advance", "to_level": 1}, format="json"
    )
    assert again.status_code == 400
    assert "already has request" in again.json()["message"], again.json()
    bad = client.post("/api/v1/requests/", {"project": "vision", "kind": "entry"}, format="json")
    assert set(bad.json()["fields"]) == {"kind", "to_level"}


def test_a_reviewer_signs_off_in_a_session_and_the_level_changes(org):
    from tests.reviews.steps import fill_card

    opened = token_client(org.researcher).post(
        "/api/v1/requests/",
        {"project": "vision", "kind": "advance", "to_level": 1, "commit": SHA_A},
        format="json",
    )
    request_id = opened.json()["id"]
    fill_card(org.project)
    from django.db import transaction

    from gates.services import check_run_record_completed
    from projects.actors import system_actor

    with transaction.atomic():  # the worker's run passes the README check
        check_run_record_completed(
            project=org.project,
            commit_sha=SHA_A,
            results=[{"check_key": "readme_purpose", "outcome": "pass", "message": "README"}],
            actor=system_actor("worker"),
        )
    lead_token = token_client(org.lead)
    refused = lead_token.post(
        f"/api/v1/requests/{request_id}/signoffs/", {"decision": "approve"}, format="json"
    )
    assert refused.status_code == 403
    assert "tokens cannot" in refused.json()["message"]
    signed = session_client(org.lead).post(
        f"/api/v1/requests/{request_id}/signoffs/", {"decision": "approve"}, format="json"
    )
    assert signed.status_code == 201, signed.content
    assert signed.json()["state"] == "approved"
    assert LevelChangeRequest.objects.get(pk=request_id).project.level == 1


def test_the_detail_lists_only_the_waivers_granted_on_that_request(org):
    """A waiver granted on an earlier request of the project is not this request's."""
    first = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    waiver = waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="In the wiki.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    services.request_withdraw(level_request=first, actor=org.researcher, reason="")
    second = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    client = token_client(org.researcher)
    listed = client.get(f"/api/v1/requests/{first.pk}/").json()["waivers"]
    assert [(w["id"], w["request"]) for w in listed] == [(waiver.pk, first.pk)]
    assert client.get(f"/api/v1/requests/{second.pk}/").json()["waivers"] == []
