"""A draft (the at-risk switchback the worker proposes) is submitted by the owning
team, from the review page or the API; nobody else sees or gets the action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import RequestState
from tests.api.conftest import token_client

from . import builders


@pytest.fixture
def draft(ui):
    """vision (level 4) with its open request withdrawn and a draft 4 -> 5 in its place."""
    builders.withdraw(ui.request, ui.org.researcher)
    return builders.open_advance(ui.org, ui.vision, submit=False)


def test_the_owning_team_submits_a_draft_from_the_review_page(ui, login, draft):
    assert draft.state == RequestState.DRAFT
    client = login(ui, "owner")
    url = reverse("reviews:submit", args=[draft.pk])
    page = client.get(reverse("reviews:detail", args=[draft.pk])).content.decode()
    assert url in page and "Submit for review" in page
    assert client.get(url).status_code == 200  # the confirmation form
    assert client.post(url).status_code == 302
    draft.refresh_from_db()
    assert draft.state == RequestState.OPEN
    # Open now: no Submit any more, and a second POST is refused with the reason.
    page = client.get(reverse("reviews:detail", args=[draft.pk])).content.decode()
    assert url not in page
    response = client.post(url)
    assert response.status_code == 400
    assert "open" in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("right_role", 403), ("other_team", 404)])
def test_others_neither_see_nor_submit_a_draft(ui, login, draft, who, status):
    client = login(ui, who)
    url = reverse("reviews:submit", args=[draft.pk])
    if status == 403:
        page = client.get(reverse("reviews:detail", args=[draft.pk])).content.decode()
        assert url not in page
    assert client.post(url).status_code == status
    draft.refresh_from_db()
    assert draft.state == RequestState.DRAFT


def test_the_api_submits_a_draft_with_requests_write(ui, draft):
    url = f"/api/v1/requests/{draft.pk}/submit/"
    read_only = token_client(ui.org.researcher, scopes=["read"])
    assert read_only.post(url).status_code == 403
    response = token_client(ui.org.researcher).post(url)
    assert response.status_code == 200, response.content
    assert response.json()["state"] == RequestState.OPEN
    again = token_client(ui.org.researcher).post(url)
    assert again.status_code == 400 and again.json()["message"]
    draft.refresh_from_db()
    assert draft.state == RequestState.OPEN
