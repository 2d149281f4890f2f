""" "Ask to advance" and "Switch back" appear only when the service would take them;
the request-open pages say why not (and link the request under way) instead of a form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.services import project_update
from reviews.models import LevelChangeRequest
from tests.reviews.steps import enter_at

from . import builders

ADVANCE = reverse("reviews:open_advance", args=["vision"])
SWITCHBACK = reverse("reviews:open_switchback", args=["vision"])


def _panel(client) -> str:
    return client.get(reverse("reviews:project_requests", args=["vision"])).content.decode()


def _page(client) -> str:
    return client.get(reverse("projects:detail", args=["vision"])).content.decode()


@pytest.fixture
def owner(ui, login):
    return login(ui, "owner")


def test_while_a_request_is_under_way_only_a_link_to_it_is_offered(ui, owner):
    panel = _panel(owner)
    assert reverse("reviews:detail", args=[ui.request.pk]) in panel
    assert ADVANCE not in panel and SWITCHBACK not in panel
    assert ADVANCE not in _page(owner)


@pytest.mark.parametrize("url", [ADVANCE, SWITCHBACK])
def test_the_open_page_says_a_request_is_under_way_and_links_it(ui, owner, url):
    response = owner.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert f"already has request #{ui.request.pk} under way" in body
    assert reverse("reviews:detail", args=[ui.request.pk]) in body
    assert "Open the advance request" not in body and "Open the switchback request" not in body
    before = LevelChangeRequest.objects.count()
    response = owner.post(url, {"reason": "again", "switchback_kind": "review", "to_level": "4"})
    assert response.status_code == 400
    assert f"already has request #{ui.request.pk} under way" in response.content.decode()
    assert LevelChangeRequest.objects.count() == before


def test_with_nothing_under_way_the_owner_is_offered_what_the_level_allows(ui, owner, login):
    builders.withdraw(ui.request, ui.org.researcher)
    panel = _panel(owner)
    assert ADVANCE in panel
    assert SWITCHBACK not in panel  # vision stands at its entry level, 4
    assert "Open the advance request" in owner.get(ADVANCE).content.decode()
    body = owner.get(SWITCHBACK).content.decode()
    assert "there is no lower level it passed through" in body
    assert "Open the switchback request" not in body
    # a reviewer may not open requests: no buttons for them
    assert ADVANCE not in _panel(login(ui, "right_role"))


def test_at_level_9_there_is_nothing_to_advance_to(ui, owner):
    builders.withdraw(ui.request, ui.org.researcher)
    top = enter_at(ui.org, 9, builders.new_project(ui.org, "top"))
    panel = owner.get(reverse("reviews:project_requests", args=[top.slug])).content.decode()
    assert reverse("reviews:open_advance", args=[top.slug]) not in panel
    body = owner.get(reverse("reviews:open_advance", args=[top.slug])).content.decode()
    assert "Level 9 is the highest level; there is nothing to advance to." in body
    assert "to 10" not in body and "Open the advance request" not in body


def test_a_paused_project_offers_no_request(ui, owner):
    builders.withdraw(ui.request, ui.org.researcher)
    project_update(project=ui.vision, actor=ui.org.researcher, status="paused")
    assert ADVANCE not in _panel(owner)
    body = owner.get(ADVANCE).content.decode()
    assert "only active projects change level" in body and "Open the advance request" not in body
