"""A first browser journey over the read side: sign in, project page, ladder, review page.

Real chromium, the live server, htmx loaded from the app's own static files
(the project page's request and repository panels are htmx fragments), axe-core
on the home, project and review pages, screenshots saved as test output.
"""

from __future__ import annotations

import re

import pytest

from tests.org import build_org
from tests.reviews.steps import enter_at, open_advance, pass_checks

pytestmark = [pytest.mark.browser]


@pytest.fixture
def world(transactional_db):
    org = build_org()
    enter_at(org, 4)
    request = open_advance(org)
    pass_checks(request, except_=request.requirements["required_checks"][:1])
    return org, request


def sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/home/$"))


def test_reviewer_reads_home_project_and_review(world, browser, live_server, output_dir, axe_check):
    _, request = world
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    sign_in(page, live_server.url, "prod")
    waiting = page.locator("#waiting-title")
    assert "Waiting on you (1)" in waiting.inner_text()
    page.screenshot(path=output_dir / "home.png", full_page=True)
    axe_check(page, "home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name="Vision model").click()
    page.wait_for_url(re.compile(r".*/projects/vision/$"))
    ladder = page.locator("ol.ladder > li")
    assert ladder.count() == 10
    assert page.locator('li.rung[aria-current="step"] .n').inner_text() == "4"
    # the requests panel is an htmx fragment: it replaces its placeholder once loaded
    go = page.get_by_role("link", name=re.compile(rf"Go to review.*#{request.pk}"))
    go.wait_for()
    page.locator("#repository").wait_for()
    page.screenshot(path=output_dir / "project.png", full_page=True)
    axe_check(page, "project")

    go.click()
    page.wait_for_url(re.compile(rf".*/reviews/{request.pk}/$"))
    assert page.get_by_role("heading", name="Verdict").is_visible()
    assert "Needs 1 more approval from research-lead." in page.locator(".verdict").inner_text()
    assert page.locator("#checks-panel .check .badge", has_text="Required").count() > 0
    page.screenshot(path=output_dir / "review.png", full_page=True)
    axe_check(page, "review")

    # The account menu leads to the API tokens page: create one (shown once), revoke it.
    page.locator("details.user-menu summary").click()
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url(re.compile(r".*/accounts/tokens/$"))
    page.get_by_label("Name", exact=True).fill("laptop")
    page.get_by_label(re.compile(r"^read: ")).check()
    page.get_by_role("button", name="Create token").click()
    shown = page.get_by_label(re.compile(r"^Copy it now"))
    assert shown.input_value().startswith("mltrl_")
    page.screenshot(path=output_dir / "tokens.png", full_page=True)
    axe_check(page, "tokens")
    page.get_by_role("button", name=re.compile(r"^Revoke laptop")).click()
    page.wait_for_url(re.compile(r".*/accounts/tokens/$"))
    assert "revoked" in page.locator("table").inner_text()
    assert page.get_by_label(re.compile(r"^Copy it now")).count() == 0

    phone = browser.new_page(viewport={"width": 390, "height": 844})
    sign_in(phone, live_server.url, "prod")
    phone.goto(f"{live_server.url}/reviews/{request.pk}/")
    phone.screenshot(path=output_dir / "review-phone.png", full_page=True)
    assert not errors, errors
