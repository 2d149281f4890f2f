"""What the pages show: home lists, project filters, the ladder, history, card pages,
the review page and its live check panel, sign-in and error pages."""

from __future__ import annotations

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from gates.models import CheckRunStatus
from projects import services as project_services
from reviews.models import LevelChangeRequest
from tests.org import admin_actor

from . import builders


def text(response) -> str:
    return response.content.decode()


# --- / and signing in --------------------------------------------------------------


def test_root_sends_visitors_to_sign_in_and_members_home(ui, client):
    assert client.get("/")["Location"] == reverse("login")
    client.force_login(ui.org.researcher)
    assert client.get("/")["Location"] == reverse("reviews:home")


def test_sign_in_failure_shows_an_error_summary_and_keeps_the_username(ui, client):
    response = client.post(reverse("login"), {"username": "researcher", "password": "wrong"})
    assert response.status_code == 200
    body = text(response)
    assert 'class="error-summary"' in body and "There is a problem" in body
    assert 'value="researcher"' in body
    response = client.post(reverse("login"), {"username": "researcher", "password": "pw"})
    assert response["Location"] == reverse("reviews:home")


def test_sign_in_with_empty_fields_links_each_error_to_its_field(db, client):
    body = text(client.post(reverse("login"), {"username": "", "password": ""}))
    assert 'href="#id_username"' in body and 'href="#id_password"' in body
    assert 'class="field has-error"' in body


def test_sign_out_is_a_post_and_ends_the_session(ui, client):
    client.force_login(ui.org.researcher)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert client.get(reverse("reviews:home")).status_code == 302


def test_password_change_refuses_a_wrong_old_password_then_works(ui, client):
    client.force_login(ui.org.researcher)
    url = reverse("password_change")
    new = "a-much-longer-passphrase-42"
    response = client.post(
        url, {"old_password": "nope", "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200 and 'href="#id_old_password"' in text(response)
    response = client.post(url, {"old_password": "pw", "new_password1": new, "new_password2": new})
    assert response["Location"] == reverse("password_change_done")
    ui.org.researcher.refresh_from_db()
    assert ui.org.researcher.check_password(new)


# --- home ---------------------------------------------------------------------------


def test_home_waiting_on_me_lists_requests_my_role_fits(ui, client):
    url = reverse("reviews:detail", args=[ui.request.pk])
    client.force_login(ui.org.prod)  # product fits the independent product slot
    body = text(client.get(reverse("reviews:home")))
    assert "Waiting on you (1)" in body and url in body
    assert "product from outside the owning team" in body
    client.force_login(ui.org.eng)  # engineering is not counted at gate 4-5
    assert "Waiting on you (0)" in text(client.get(reverse("reviews:home")))


def test_home_waiting_drops_a_request_once_my_slot_is_filled(ui, client):
    builders.fill_card(ui.vision)
    builders.sign(ui.org, ui.request, "prod")
    client.force_login(ui.org.prod)
    assert "Waiting on you (0)" in text(client.get(reverse("reviews:home")))
    # ethics is still empty: the ethicist still has it waiting
    client.force_login(ui.org.ethicist)
    assert "Waiting on you (1)" in text(client.get(reverse("reviews:home")))


def test_home_never_lists_my_own_request_as_waiting_on_me(ui, client):
    lead = ui.org.lead  # research-lead fits the 4-5 gate, yet their own request never waits
    builders.withdraw(ui.request, ui.org.researcher)
    own = builders.open_advance(ui.org, ui.vision, actor=lead)
    client.force_login(lead)
    body = text(client.get(reverse("reviews:home")))
    assert "Waiting on you (0)" in body and f"#{own.pk}" in body  # listed as theirs


def test_home_my_projects_and_requests_say_what_is_missing(ui, client):
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("reviews:home")))
    assert "Vision model" in body
    assert "Needs 1 more approval from research-lead." in body
    assert "My open requests" in body and f"#{ui.request.pk}" in body
    assert "Secret model" not in body


def test_home_recent_activity_shows_my_teams_only(ui, client):
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("reviews:home")))
    assert f"opened request #{ui.request.pk}" in body
    assert "Secret model" not in body
    client.force_login(ui.org.stranger)
    body = text(client.get(reverse("reviews:home")))
    assert "Secret model" in body and "Vision model" not in body


# --- project page -----------------------------------------------------------------------


def test_project_page_ladder_marks_granted_entry_and_system(ui, client):
    low = builders.new_project(ui.org, "feature-store", name="Feature store")
    project_services.project_update(project=ui.vision, components=[low], actor=admin_actor())
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("projects:detail", args=["vision"])))
    assert 'class="rung passed granted" aria-current="step"' in body
    assert body.count("below-entry") == 4  # entered at 4: rungs 0-3 never passed through
    assert '<span class="mark">entry</span>' in body
    assert '<span class="mark">system</span>' in body
    assert "coupled component feature-store is below level 4" in body
    assert reverse("reviews:project_requests", args=["vision"]) in body
    assert reverse("gates:project_repository", args=["vision"]) in body


def test_project_page_history_filters(ui, client):
    project_services.card_update(project=ui.vision, actor=ui.org.researcher, tldr="New summary.")
    client.force_login(ui.org.researcher)
    url = reverse("projects:detail", args=["vision"])
    body = text(client.get(url, {"history": "card"}))
    assert "edited the MLTRL card: tldr" in body and "entered at level 4" not in body
    body = text(client.get(url, {"history": "levels"}))
    assert "entered at level 4 (entry review)" in body and "edited the MLTRL card" not in body
    body = text(client.get(url, {"history": "signoffs"}))
    assert "approved request" in body
    assert client.get(url, {"history": "bogus"}).status_code == 200


def test_project_page_answers_level_on_a_date(ui, client):
    client.force_login(ui.org.researcher)
    url = reverse("projects:detail", args=["vision"])
    today = timezone.now().date().isoformat()
    assert "the project was at <strong>level 4</strong>" in text(client.get(url, {"on": today}))
    assert "not registered yet" in text(client.get(url, {"on": "2000-01-01"}))
    body = text(client.get(url, {"on": "31/12/2026"}))
    assert "Enter a date as YYYY-MM-DD" in body


def test_project_requests_fragment_shows_the_open_request_and_past_ones(ui, client):
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("reviews:project_requests", args=["vision"])))
    assert f"Request #{ui.request.pk}" in body and "Go to review" in body
    assert "Past requests" in body and "entry review 0 -&gt; 4" in body


# --- card pages -----------------------------------------------------------------------------


def test_card_versions_diff_and_export(ui, client):
    client.force_login(ui.org.researcher)
    body = text(client.get(reverse("projects:card", args=["vision"])))
    assert "v1" in body and "v2" in body
    v1 = text(client.get(reverse("projects:card_version", args=["vision", 1])))
    assert "version 1" in v1
    diff = text(client.get(reverse("projects:card_compare", args=["vision"]), {"from": 1, "to": 2}))
    assert "summary.level" in diff and "+4" in diff
    md = client.get(reverse("projects:card_export_md", args=["vision"]))
    assert md["Content-Type"].startswith("text/markdown")
    assert "attachment" in md["Content-Disposition"]
    assert md.content.decode().startswith("# MLTRL card: Vision model")
    js = client.get(reverse("projects:card_export_json", args=["vision"]), {"version": 1})
    assert js.json()["summary"]["level"] == 0


def test_card_compare_bad_input_is_a_form_error_not_a_500(ui, client):
    client.force_login(ui.org.researcher)
    url = reverse("projects:card_compare", args=["vision"])
    for query in [{"from": "x", "to": 2}, {"from": 1}, {"from": 1, "to": 99}]:
        response = client.get(url, query)
        assert response.status_code == 400, query
        assert "There is a problem" in text(response)


# --- review page --------------------------------------------------------------------


def test_review_page_shows_verdict_slots_and_stale_approvals(ui, client):
    builders.fill_card(ui.vision)
    builders.sign(ui.org, ui.request, "lead")
    builders.sign(ui.org, ui.request, "prod", comment="Looks right for the product.")
    # a new commit makes the approvals stale (gate policy: stale on new commit)
    from reviews import services

    services.request_pin_commit(
        level_request=ui.request, commit_sha="c" * 40, actor=ui.org.researcher
    )
    client.force_login(ui.org.eng)
    body = text(client.get(reverse("reviews:detail", args=[ui.request.pk])))
    assert "Not yet. What is missing:" in body
    assert "Needs 1 more approval from ethics from outside the owning team." in body
    assert body.count("Stale: approved on commit") == 2
    assert "research-lead" in body and "empty" in body
    assert "Looks right for the product." in body


def test_review_page_lists_waivers_and_comments(ui, client):
    builders.waive(ui.org, ui.vision, "licence", "lead", "Licence review booked.")
    builders.comment(ui.request, ui.org.eng, "Where is the *holdout* set?")
    client.force_login(ui.org.prod)
    body = text(client.get(reverse("reviews:detail", args=[ui.request.pk])))
    assert "licence" in body and "in force" in body and "Licence review booked." in body
    assert "Where is the <em>holdout</em> set?" in body


def test_checks_panel_polls_while_running_and_stops_with_286(ui, client):
    run = builders.run_in_progress(ui.request, done=7, total=21)
    client.force_login(ui.org.prod)
    url = reverse("reviews:checks", args=[ui.request.pk])
    live = client.get(url, headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert "7 of 21 checks done." in text(live)
    assert 'hx-trigger="every 2s"' in text(live)
    run.status = CheckRunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    final = client.get(url, headers={"HX-Request": "true"})
    assert final.status_code == 286
    assert "hx-trigger" not in text(final)


def test_checks_panel_is_a_full_page_without_htmx(ui, client):
    builders.run_in_progress(ui.request)
    client.force_login(ui.org.prod)
    response = client.get(reverse("reviews:checks", args=[ui.request.pk]))
    assert response.status_code == 200  # no 286 outside htmx: a browser shows the page
    body = text(response)
    assert "<html" in body and "Checks of request" in body and 'id="checks-panel"' in body


def test_checks_panel_marks_required_results_and_ci_results(ui, client):
    builders.pass_checks(ui.request, except_=("licence",))
    client.force_login(ui.org.prod)
    body = text(client.get(reverse("reviews:checks", args=[ui.request.pk])))
    assert "licence failed" in body and "Required: blocks the level change" in body
    # the failing required check comes first
    assert body.index("licence") < body.index("readme_purpose")


def test_checks_panel_says_in_words_which_failures_block_the_gate(ui, client):
    """Blocking (required, failing, not waived) and not-blocking (not required at this
    level, waived) failures are told apart in text, not only by colour."""
    import re

    from gates.services import check_run_record_completed
    from projects.actors import system_actor
    from reviews.selectors import request_requirements

    required = list(request_requirements(ui.request).required_checks)
    blocker, waived = required[0], required[1]
    check_run_record_completed(
        project=ui.vision,
        commit_sha=ui.request.commit_sha,
        results=[
            {"check_key": k, "outcome": "fail" if k in (blocker, waived) else "pass", "message": k}
            for k in required
        ]
        + [{"check_key": "extra_style", "outcome": "fail", "message": "Lint is unhappy."}],
        actor=system_actor("worker"),
    )
    builders.waive(ui.org, ui.vision, waived, "lead", "Licence review booked.")
    client.force_login(ui.org.prod)
    body = text(client.get(reverse("reviews:checks", args=[ui.request.pk])))
    blocking = body[body.index('id="checks-blocking"') : body.index('id="checks-not-blocking"')]
    rest = body[body.index('id="checks-not-blocking"') :]
    assert "Blocking the level change (1)" in blocking and "1</strong> blocks the gate" in body

    def standing(part: str, key: str) -> str:
        found = re.search(
            rf'mono">{re.escape(key)}</span>\s*<span class="badge [a-z]+">([^<]+)<', part
        )
        return found.group(1) if found else ""

    assert standing(blocking, blocker) == "Required: blocks the level change"
    assert standing(rest, waived) == "Required, waived: does not block"
    assert standing(rest, "extra_style") == "Not required at this level: for information"
    assert waived not in blocking and "extra_style" not in blocking
    assert standing(body, required[2]) == "Required by this gate"  # passing, under "pass"

    builders.waive(ui.org, ui.vision, blocker, "lead", "Accepted.")
    body = text(client.get(reverse("reviews:checks", args=[ui.request.pk])))
    assert "No required check blocks the level change." in body
    assert "Blocking the level change" not in body


def test_a_closed_request_shows_its_outcome(ui, client):
    builders.withdraw(ui.request, ui.org.researcher)
    client.force_login(ui.org.researcher)
    response = client.get(reverse("reviews:detail", args=[ui.request.pk]))
    assert "Withdrawn" in text(response)
    checks = client.get(
        reverse("reviews:checks", args=[ui.request.pk]), headers={"HX-Request": "true"}
    )
    assert checks.status_code == 286  # nothing to wait for on a closed request


def test_requests_list_filters_by_state(ui, client):
    client.force_login(ui.org.researcher)
    url = reverse("reviews:list")
    assert f"#{ui.request.pk}" in text(client.get(url))
    approved = text(client.get(url, {"state": "approved"}))
    entry = LevelChangeRequest.objects.get(project=ui.vision, kind="entry")
    assert f"#{entry.pk}</a>" in approved and f"#{ui.request.pk}</a>" not in approved
    assert client.get(url, {"state": "nonsense"}).status_code == 200


# --- teams and roles ------------------------------------------------------------------------


def test_team_page_lists_members_roles_and_only_visible_projects(ui, client):
    client.force_login(ui.org.stranger)
    body = text(client.get(reverse("teams:detail", args=["research"])))
    assert "lead" in body and "research-lead" in body
    assert "Vision model" not in body  # stranger may not see vision
    client.force_login(ui.org.eng)
    assert "Vision model" in text(client.get(reverse("teams:detail", args=["research"])))


def test_role_catalog_names_the_gates_that_count_each_role(ui, client):
    client.force_login(ui.org.eng)
    body = text(client.get(reverse("gates:roles")))
    assert "research-lead" in body and "0-1" in body and "entry" in body


# --- error pages ------------------------------------------------------------------------------


@override_settings(DEBUG=False)
def test_error_pages_render_in_the_app_style(ui, client, rf):
    from django.views import defaults

    request = rf.get("/")
    for view, status, heading in [
        (defaults.bad_request, 400, "That request could not be understood"),
        (defaults.server_error, 500, "Sorry, something went wrong on our side"),
    ]:
        response = view(request) if status == 500 else view(request, Exception("bad"))
        assert response.status_code == status
        assert heading in response.content.decode() and "mltrl.css" in response.content.decode()
    client.force_login(ui.org.researcher)
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "Page not found" in text(missing)
    denied = defaults.permission_denied(rf.get("/"), Exception("You may not sign off here."))
    assert denied.status_code == 403 and "You may not sign off here." in denied.content.decode()


def test_review_page_shows_what_changed_since_the_last_gate(ui, client):
    entry = LevelChangeRequest.objects.get(project=ui.vision, kind="entry")
    key = entry.requirements["required_checks"][0]  # passed at the entry review
    builders.pass_checks(ui.request, except_=(key,))
    project_services.card_update(project=ui.vision, actor=ui.org.researcher, tldr="Now sharper.")
    client.force_login(ui.org.prod)
    body = text(client.get(reverse("reviews:detail", args=[ui.request.pk])))
    assert "Checks since the last gate" in body and f"#{entry.pk}</a>" in body
    assert f'newly failing</span> <span class="mono">{key}</span>' in body
    assert "Card changes since level 4" in body and "sections.tldr" in body
    assert "+Now sharper." in body


def test_review_page_without_an_earlier_gate_shows_no_comparison(db, client):
    from tests.org import build_org

    org = build_org()
    request = builders.open_advance(org)
    builders.pass_checks(request)
    client.force_login(org.lead)
    body = text(client.get(reverse("reviews:detail", args=[request.pk])))
    assert "Checks since the last gate" not in body
    assert "The card has not changed since then." in body  # v1 at level 0, untouched
