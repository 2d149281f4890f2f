"""The write side in a real browser: the four journeys of the review workflow.

Debian's chromium against the live server. Journey 1 runs the checks in a real
Celery worker process (Redis, PostgreSQL) while the researcher watches the
review page; the reviewers sign off in their own browser contexts and the
project page moves its ladder without a reload. axe-core runs on the form
pages and on the review page with its actions; screenshots are test output.
"""

from __future__ import annotations

import re

import pytest

from gates.models import CheckRun
from projects.models import ReviewRole
from projects.services import membership_maintainer_set, project_update
from reviews.models import LevelChangeRequest, RequestState, SignOff
from tests.gitrepo import make_repo
from tests.gitserver import GitDaemon, allow_loopback
from tests.org import admin_actor, build_org
from tests.reviews.steps import enter_at, open_advance, ready

from .test_journey_read import sign_in

pytestmark = [pytest.mark.browser]
LONG = 240_000  # ms: the worker shares two cores with everything else on CI

REPO = {
    "README.md": "# Vision\n\n## Purpose\n\nFind defects in product photos before shipping.\n",
    "params.yaml": "lr: 0.0003\nepochs: 10\n",
    "src/model.py": "def predict(x):\n    return x\n",
}


def _context_page(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, base, username)
    return page


def _mark(page) -> None:
    """Leave a flag in the window: it survives only if the page is never reloaded."""
    page.evaluate("window.__notReloaded = true")


def _not_reloaded(page) -> bool:
    return page.evaluate("window.__notReloaded === true")


@pytest.mark.worker
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_1_advance_checks_in_worker_two_signoffs_ladder_moves(
    browser, live_server, output_dir, axe_check, tmp_path, settings
):
    from tests.e2e.worker import celery_worker

    repos = tmp_path / "repos"
    repos.mkdir()
    allow_loopback(settings, mirrors=tmp_path / "mirrors")
    org = build_org()
    enter_at(org, 1)  # before the repository is linked: the entry run stays out of the way
    repo = make_repo(repos, REPO)
    with GitDaemon(repos) as daemon, celery_worker({}, log_path=tmp_path / "worker.log"):
        project_update(
            project=org.project, repository_url=daemon.url(repo.name), actor=admin_actor()
        )
        researcher = _context_page(browser, live_server.url, "researcher")
        researcher.goto(f"{live_server.url}/projects/vision/")
        researcher.get_by_role("link", name="Ask to advance").click()
        researcher.wait_for_url(re.compile(r".*/requests/advance/$"))
        assert "experiment_records" in researcher.content()  # the gate's requirements
        axe_check(researcher, "advance-form")
        researcher.screenshot(path=output_dir / "advance-form.png", full_page=True)
        researcher.get_by_label("Justification").fill("Experiments are tracked in params.yaml.")
        researcher.get_by_role("button", name="Open the advance request").click()
        researcher.wait_for_url(re.compile(r".*/reviews/\d+/$"))
        request = LevelChangeRequest.objects.get(project=org.project, state=RequestState.OPEN)
        _mark(researcher)
        # the panel polls while the run is queued or running, and fills in without a reload
        panel = researcher.locator("#checks-panel")
        panel.locator(".badge.succeeded").wait_for(timeout=LONG)
        assert "experiment_records" in panel.text_content()
        assert _not_reloaded(researcher)
        assert CheckRun.objects.filter(request_id=request.pk, status="succeeded").exists()

        project_page = researcher.context.new_page()
        project_page.goto(f"{live_server.url}/projects/vision/")
        project_page.get_by_role(
            "link", name=re.compile(rf"Go to review.*#{request.pk}")
        ).wait_for()
        _mark(project_page)
        rung = project_page.locator('li.rung[aria-current="step"] .n')
        assert rung.inner_text() == "1"

        for who in ("lead", "peer"):
            reviewer = _context_page(browser, live_server.url, who)
            reviewer.goto(f"{live_server.url}/reviews/{request.pk}/")
            if who == "lead":
                axe_check(reviewer, "review-with-actions")
                reviewer.screenshot(path=output_dir / "review-actions.png", full_page=True)
            reviewer.get_by_label("Comment with your decision").fill(f"{who}: looks right.")
            reviewer.get_by_role("button", name="Approve", exact=True).click()
            reviewer.wait_for_url(re.compile(rf".*/reviews/{request.pk}/#signoffs$"))
            reviewer.context.close()

        # the project page, left open, moves its ladder without a reload
        rung.filter(has_text=re.compile(r"^\s*2\s*$")).wait_for(timeout=60_000)
        assert _not_reloaded(project_page)
        project_page.screenshot(path=output_dir / "project-after-approval.png", full_page=True)
        researcher.locator(".verdict", has_text="Approved: level 2").wait_for(timeout=60_000)
        assert _not_reloaded(researcher)
        researcher.context.close()
    assert LevelChangeRequest.objects.get(pk=request.pk).state == RequestState.APPROVED


@pytest.fixture
def world(transactional_db):
    org = build_org()
    enter_at(org, 4)
    request = ready(open_advance(org))
    return org, request


def test_2_changes_requested_researcher_sees_tasks_and_resubmits(
    world, browser, live_server, output_dir
):
    _, request = world
    prod = _context_page(browser, live_server.url, "prod")
    prod.goto(f"{live_server.url}/reviews/{request.pk}/")
    prod.get_by_label("Tasks (when you request changes)").fill(
        "Add a holdout evaluation\nPin numpy"
    )
    prod.get_by_role("button", name="Request changes").click()
    prod.wait_for_url(re.compile(r".*#signoffs$"))
    researcher = _context_page(browser, live_server.url, "researcher")
    researcher.goto(f"{live_server.url}/reviews/{request.pk}/")
    text = researcher.locator("#signoffs").inner_text()
    assert "Add a holdout evaluation" in text and "Pin numpy" in text
    researcher.screenshot(path=output_dir / "changes-requested.png", full_page=True)
    researcher.get_by_role("link", name="Resubmit after changes").click()
    researcher.get_by_label("What did you change?").fill("Added the holdout evaluation.")
    researcher.get_by_role("button", name="Resubmit for review").click()
    researcher.wait_for_url(re.compile(rf".*/reviews/{request.pk}/$"))
    assert "Open" in researcher.locator(".page-head .badge").first.inner_text()
    request.refresh_from_db()
    assert request.state == RequestState.OPEN


def test_3_wrong_role_sees_no_buttons_and_a_forged_post_is_refused(world, browser, live_server):
    _, request = world
    eng = _context_page(browser, live_server.url, "eng")
    eng.goto(f"{live_server.url}/reviews/{request.pk}/")
    assert eng.get_by_role("button", name="Approve", exact=True).count() == 0
    assert eng.get_by_role("button", name="Request changes").count() == 0
    # forge the POST with the page's own CSRF token
    token = eng.locator('input[name="csrfmiddlewaretoken"]').first.get_attribute("value")
    response = eng.request.post(
        f"{live_server.url}/reviews/{request.pk}/signoff/",
        form={"csrfmiddlewaretoken": token, "decision": "approve"},
        headers={"Referer": f"{live_server.url}/reviews/{request.pk}/"},
    )
    assert response.status == 403
    assert not SignOff.objects.filter(request=request).exists()


def test_4_maintainer_grants_a_role_and_the_new_reviewer_is_waited_on(
    world, browser, live_server, output_dir, axe_check
):
    org, request = world
    membership_maintainer_set(
        team=org.teams["research"], user=org.lead, is_maintainer=True, actor=admin_actor()
    )
    peer = _context_page(browser, live_server.url, "peer")
    waiting = peer.locator('section[aria-labelledby="waiting-title"]')
    assert f"#{request.pk}" not in waiting.inner_text()
    lead = _context_page(browser, live_server.url, "lead")
    lead.goto(f"{live_server.url}/teams/research/")
    lead.get_by_role("link", name="Manage members and roles").click()
    axe_check(lead, "team-manage")
    lead.get_by_label("Username").nth(1).fill("peer")
    lead.get_by_label("Review role", exact=True).select_option("research-lead")
    lead.get_by_role("button", name="Grant role").click()
    lead.wait_for_url(re.compile(r".*/teams/research/manage/$"))
    lead.screenshot(path=output_dir / "team-manage.png", full_page=True)
    assert org.peer.role_grants.filter(role=ReviewRole.objects.get(key="research-lead")).exists()
    peer.goto(f"{live_server.url}/home/")
    assert f"#{request.pk}" in waiting.inner_text()
