"""The portfolio in a real browser with the demo data: morgan's dashboard, axe, a screenshot.

The screenshot (``portfolio.png`` under the test output folder) is the page
README shows; docs/screenshots/portfolio.png itself is taken by
``scripts/screenshots.py`` from the running demo, after a visual check.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from demo.people import DEMO_PASSWORD, MANAGER_USERNAME

pytestmark = [pytest.mark.browser]


@pytest.fixture
def demo(transactional_db, tmp_path):
    queue = str(tmp_path / "queue")
    with override_settings(
        MLTRL_GIT_FILE_ROOT=str((tmp_path / "repos").resolve()),
        MLTRL_GIT_MIRROR_DIR=str(tmp_path / "mirrors"),
        MLTRL_RUN_HEARTBEAT_S=600,
        CELERY_BROKER_TRANSPORT_OPTIONS={"data_folder_in": queue, "data_folder_out": queue},
    ):
        call_command("seed_demo", stdout=StringIO())
        yield


def test_morgan_reads_the_portfolio(demo, browser, live_server, output_dir, axe_check):
    page = browser.new_page(viewport={"width": 1360, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(MANAGER_USERNAME)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/home/$"))
    page.get_by_role("link", name="Portfolio").first.click()
    page.wait_for_url(re.compile(r".*/portfolio/$"))
    assert page.locator("svg.chart").count() >= 8
    assert "Projects flagged at risk by monitoring" in page.locator("#table-at_risk").inner_text()
    page.screenshot(path=output_dir / "portfolio.png", full_page=True)
    axe_check(page, "portfolio")
    # a number leads to the list behind it
    page.locator("#table-at_risk a").first.click()
    page.wait_for_url(re.compile(r".*/portfolio/projects/\?.*at_risk=1.*"))
    assert "Multilingual review sentiment" in page.content()
    page.get_by_role("link", name="Multilingual review sentiment").click()
    assert "At risk since" in page.locator("#at-risk-title").inner_text()
    page.screenshot(path=output_dir / "project-at-risk.png", full_page=True)
    # The filter form keeps an unlisted window and carries several teams through Apply.
    page.goto(live_server.url + "/portfolio/?days=45")
    assert page.get_by_label("Time window").input_value() == "45"
    page.get_by_label("Teams").select_option(["research", "language-research"])
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r".*/portfolio/\?.*team=language-research.*"))
    assert "team=research" in page.url and "days=45" in page.url
    selected = page.locator("#p-team option:checked").all_inner_texts()
    assert sorted(selected) == ["Language research", "Research"]
    assert page.get_by_label("Time window").input_value() == "45"
    axe_check(page, "portfolio-filtered")
    assert not errors, errors
