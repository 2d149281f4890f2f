"""Signing a request that is closed (or still a draft) is refused for that reason,
not with "none of your review roles fits an empty slot"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews import services
from reviews.models import SignOff
from tests.reviews.steps import approve_all, ready

from . import builders


def _close(ui, how: str) -> str:
    if how == "withdrawn":
        builders.withdraw(ui.request, ui.org.researcher)
    elif how == "rejected":
        builders.sign(ui.org, ui.request, "lead", decision="reject", comment="No.")
    else:
        approve_all(ui.org, ready(ui.request), ["lead", "prod", "ethicist"])
    ui.request.refresh_from_db()
    assert ui.request.state == how
    return f"Request #{ui.request.pk} was {how} and is closed; it cannot be signed."


@pytest.mark.parametrize("how", ["withdrawn", "approved", "rejected"])
def test_signing_a_closed_request_says_it_is_closed(ui, login, how):
    sentence = _close(ui, how)
    client = login(ui, "right_role")
    url = reverse("reviews:signoff", args=[ui.request.pk])
    signoffs = SignOff.objects.count()
    for response in (client.get(url), client.post(url, {"decision": "approve"})):
        body = response.content.decode().replace("&#x27;", "'")
        assert response.status_code == 403
        assert sentence in body
        assert "None of your review roles" not in body
    assert SignOff.objects.count() == signoffs


def test_signing_a_draft_says_it_is_not_submitted_yet(ui, login):
    builders.withdraw(ui.request, ui.org.researcher)
    draft = services.request_open(
        project=ui.vision, actor=ui.org.researcher, kind="advance", to_level=5, submit=False
    )
    response = login(ui, "right_role").post(
        reverse("reviews:signoff", args=[draft.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert f"Request #{draft.pk} is a draft; it takes sign-offs once" in response.content.decode()
