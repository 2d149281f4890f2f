"""What the write side does: buttons for the allowed only, forms with bad input, the
services' sentences as form errors, the level change seen without a reload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import MLTRLCard, Project, ReviewRole
from projects.services import membership_maintainer_set
from reviews.models import Comment, LevelChangeRequest, RequestState, SignOff, Waiver
from tests.org import admin_actor
from tests.reviews.steps import climb_to, ready

from . import builders

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
# Django's own messages: every field of the app's forms says what is wrong in its own words.
GENERIC = re.compile(
    r"This field is required|Select a valid choice|is not a valid value|with this \w+ already"
    r"|Ensure this value|Enter a whole number"
)


def _detail(client, ui):
    return client.get(reverse("reviews:detail", args=[ui.request.pk])).content.decode()


@pytest.mark.parametrize(
    ("who", "sees_sign", "sees_withdraw", "sees_waive"),
    [
        ("owner", False, True, False),
        ("right_role", True, False, True),
        ("wrong_role", False, False, False),
        ("manager", False, False, False),
    ],
)
def test_review_page_shows_buttons_only_for_what_each_may_do(
    ui, login, who, sees_sign, sees_withdraw, sees_waive
):
    page = _detail(login(ui, who), ui)
    assert ('value="approve"' in page) is sees_sign
    assert ('value="request_changes"' in page) is sees_sign
    assert (reverse("reviews:withdraw", args=[ui.request.pk]) in page) is sees_withdraw
    assert (reverse("reviews:waiver_new", args=[ui.request.pk]) in page) is sees_waive
    assert reverse("reviews:comment", args=[ui.request.pk]) in page  # everyone who sees it


def test_forged_signoff_by_wrong_role_is_refused_and_writes_nothing(ui, login):
    client = login(ui, "wrong_role")
    response = client.post(
        reverse("reviews:signoff", args=[ui.request.pk]), {"decision": "approve"}
    )
    assert response.status_code == 403
    assert not SignOff.objects.filter(request=ui.request).exists()


def test_signoff_with_bad_input_on_every_field(ui, login):
    client = login(ui, "right_role")
    url = reverse("reviews:signoff", args=[ui.request.pk])
    cases = [
        ({}, "Choose approve, request changes or reject."),
        ({"decision": "merge"}, "Choose approve, request changes or reject."),
        ({"decision": "request_changes", "tasks": "  \n "}, "at least one task"),
        ({"decision": "reject", "comment": ""}, "A rejection needs a comment"),
        ({"decision": "approve", "comment": "x" * 20_001}, "at most 20000 characters"),
        ({"decision": "approve", "commit_sha": "b" * 40}, "since you looked"),
        ({"decision": "approve", "commit_sha": "not-a-sha"}, ""),
    ]
    for data, sentence in cases:
        response = client.post(url, data)
        assert response.status_code == 400, (data, response.status_code)
        body = response.content.decode()
        assert "There is a problem" in body
        assert sentence in body, (data, body[body.find("error-summary") :][:600])
    assert not SignOff.objects.filter(request=ui.request).exists()


def test_request_changes_shows_tasks_and_the_requester_resubmits(ui, login):
    client = login(ui, "right_role")
    response = client.post(
        reverse("reviews:signoff", args=[ui.request.pk]),
        {"decision": "request_changes", "tasks": "- add holdout eval\n- " + XSS},
    )
    assert response.status_code == 302
    ui.request.refresh_from_db()
    assert ui.request.state == RequestState.CHANGES_REQUESTED
    client = login(ui, "owner")
    page = _detail(client, ui)
    assert "add holdout eval" in page
    assert XSS not in page and "&lt;script&gt;" in page
    assert reverse("reviews:resubmit", args=[ui.request.pk]) in page
    response = client.post(reverse("reviews:resubmit", args=[ui.request.pk]), {"comment": "done"})
    assert response.status_code == 302
    ui.request.refresh_from_db()
    assert ui.request.state == RequestState.OPEN


def test_comment_bad_input_and_escaping(ui, login):
    client = login(ui, "wrong_role")
    url = reverse("reviews:comment", args=[ui.request.pk])
    response = client.post(url, {"body": "   "})
    assert response.status_code == 400
    assert "Write the comment before sending it." in response.content.decode()
    assert client.post(url, {"body": XSS}).status_code == 302
    assert Comment.objects.get(request=ui.request).body == XSS
    page = _detail(client, ui)
    assert "<script>alert" not in page and "<img src=x" not in page


def test_waiver_form_bad_input_on_every_field_then_grant_and_revoke(ui, login):
    client = login(ui, "right_role")
    url = reverse("reviews:waiver_new", args=[ui.request.pk])
    past = (timezone.now() - timedelta(days=1)).date().isoformat()
    far = (timezone.now() + timedelta(days=4000)).date().isoformat()
    good = {"check_key": "datasheet", "reason": "Covered.", "expires_on": "2099-01-01"}
    cases = [
        ({**good, "check_key": "nope"}, "Choose one of the checks the gate"),
        ({**good, "check_key": ""}, "Choose the check to waive."),
        ({**good, "reason": ""}, "Give the reason for the waiver."),
        ({**good, "expires_on": ""}, "Enter the date the waiver expires."),
        ({**good, "expires_on": "tomorrow"}, "Enter the expiry as a date"),
        ({**good, "expires_on": past}, "must be in the future"),
        ({**good, "expires_on": far}, "may last at most"),
    ]
    for data, sentence in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert sentence in response.content.decode(), data
        assert not GENERIC.search(response.content.decode()), data
    assert not Waiver.objects.exists()
    good["expires_on"] = (timezone.now() + timedelta(days=20)).date().isoformat()
    assert client.post(url, good).status_code == 302
    waiver = Waiver.objects.get()
    page = _detail(client, ui)
    revoke = reverse("reviews:waiver_revoke", args=[ui.request.pk, waiver.pk])
    assert revoke in page
    # someone without a waiver role sees no revoke button and cannot forge one
    other = login(ui, "wrong_role")
    assert revoke not in _detail(other, ui)
    assert other.post(revoke).status_code == 403
    client = login(ui, "right_role")
    assert client.post(revoke).status_code == 302
    waiver.refresh_from_db()
    assert waiver.revoked_at is not None


def test_last_signoff_changes_level_and_the_panels_report_it(ui, login):
    """The verdict polls (200 while open, 286 once decided); the requests panel of the
    project page tells the page the level moved (HX-Trigger) so its ladder reloads."""
    ready(ui.request)
    status_url = reverse("reviews:status", args=[ui.request.pk])
    panel_url = reverse("reviews:project_requests", args=["vision"]) + "?level=4"
    client = login(ui, "owner")
    assert client.get(status_url, HTTP_HX_REQUEST="true").status_code == 200
    response = client.get(panel_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert 'hx-trigger="every 3s"' in response.content.decode()
    for who in ("lead", "prod", "ethicist"):
        reviewer = ui.org.users[who]
        client.force_login(reviewer)
        response = client.post(
            reverse("reviews:signoff", args=[ui.request.pk]), {"decision": "approve"}
        )
        assert response.status_code == 302, (who, response.content[:300])
    ui.request.refresh_from_db()
    assert ui.request.state == RequestState.APPROVED
    client = login(ui, "owner")
    response = client.get(status_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert "Approved: level 5" in response.content.decode()
    response = client.get(panel_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 286
    assert response["HX-Trigger"] == "level-changed"
    ladder = client.get(reverse("projects:ladder", args=["vision"]), HTTP_HX_REQUEST="true")
    assert ladder.status_code == 200
    assert re.search(r"<dt>granted</dt>\s*<dd>5</dd>", ladder.content.decode(), re.I)


def test_open_advance_shows_requirements_and_opens(ui, login):
    builders.withdraw(ui.request, ui.org.researcher)
    client = login(ui, "owner")
    url = reverse("reviews:open_advance", args=["vision"])
    page = client.get(url).content.decode()
    assert "datasheet" in page and "ethics_checklist_pre" in page
    assert "product" in page  # the roles the gate counts
    response = client.post(url, {"reason": XSS, "debrief_done": "everything"})
    assert response.status_code == 302
    opened = LevelChangeRequest.objects.get(project=ui.vision, state=RequestState.OPEN)
    assert opened.debrief == {"done": "everything"}
    page = client.get(response["Location"]).content.decode()
    assert "<script>alert" not in page


def test_switchback_offers_only_levels_passed_and_refuses_bad_input(ui, login):
    builders.withdraw(ui.request, ui.org.researcher)
    climb_to(ui.org, 5, ui.vision)
    client = login(ui, "owner")
    url = reverse("reviews:open_switchback", args=["vision"])
    page = client.get(url).content.decode()
    # vision entered at 4 and stands at 5: 4 is the only level it passed through
    assert '<option value="4"' in page and '<option value="3"' not in page
    cases = [
        ({"switchback_kind": "", "to_level": "3", "reason": "r"}, "Say which kind"),
        (
            {"switchback_kind": "review", "to_level": "3", "reason": "r"},
            "levels the project passed",
        ),
        (
            {"switchback_kind": "review", "to_level": "x", "reason": "r"},
            "levels the project passed",
        ),
        (
            {"switchback_kind": "nope", "to_level": "4", "reason": "r"},
            "discovery, review or embedded",
        ),
        (
            {"switchback_kind": "bogus", "to_level": "3", "reason": ""},
            "A switchback needs a reason",
        ),
    ]
    for data, sentence in cases:
        response = client.post(url, data)
        assert response.status_code == 400
        assert sentence in response.content.decode(), data
        assert not GENERIC.search(response.content.decode()), data
    assert not LevelChangeRequest.objects.filter(project=ui.vision, kind="switchback").exists()


def test_new_project_bad_input_on_every_field_and_success(ui, login):
    client = login(ui, "owner")
    url = reverse("reviews:project_new")
    research = str(ui.org.teams["research"].pk)
    good = {
        "name": "Churn",
        "slug": "churn",
        "team": research,
        "default_branch": "main",
        "entry_level": "0",
    }
    cases = [
        ({**good, "name": ""}, "Enter the project&#x27;s name."),
        ({**good, "slug": "Not A Slug"}, "Use only lowercase letters"),
        ({**good, "slug": "Churn_Model"}, "Use only lowercase letters"),
        ({**good, "slug": "vision"}, "already exists; choose another short name."),
        ({**good, "slug": "new"}, "is reserved"),
        ({**good, "team": str(ui.org.teams["product"].pk)}, "Choose one of your teams."),
        ({**good, "reviewer_teams": ["999999"]}, "Choose reviewer teams from the list."),
        # past 64 bits: SQLite cannot bind it to the field's pk__in lookup (was a 500)
        ({**good, "reviewer_teams": ["9223372036854775808"]}, "Choose reviewer teams from"),
        ({**good, "reviewer_teams": ["99999999999999999999999"]}, "Choose reviewer teams from"),
        ({**good, "team": "99999999999999999999999"}, "Choose one of your teams."),
        ({**good, "repository_url": "file:///etc/passwd"}, "repository"),
        ({**good, "default_branch": "bad..branch"}, "branch"),
        ({**good, "entry_level": "12"}, "Choose an entry level from 0 to 9."),
        ({**good, "reviewer_teams": ["abc"]}, "Choose reviewer teams from the list."),
        ({**good, "default_branch": ""}, "Enter the branch the checks run on"),
        ({**good, "name": "x" * 201}, "Keep the project&#x27;s name to 200 characters"),
        ({**good, "entry_level": "3", "entry_reason": ""}, "An entry review needs the reason"),
    ]
    for data, sentence in cases:
        response = client.post(url, data)
        assert response.status_code == 400, (data, response.status_code)
        assert sentence in response.content.decode(), (data, response.content.decode()[:3000])
        assert not GENERIC.search(response.content.decode()), data
    assert not Project.objects.filter(slug="churn").exists()
    response = client.post(
        url, {**good, "name": XSS, "entry_level": "3", "entry_reason": "Vendor."}
    )
    assert response.status_code == 302
    project = Project.objects.get(slug="churn")
    entry = LevelChangeRequest.objects.get(project=project)
    assert entry.kind == "entry" and entry.to_level == 3
    page = client.get(reverse("projects:detail", args=["churn"])).content.decode()
    assert "<script>alert" not in page


def test_card_edit_by_section_with_bad_input(ui, login):
    client = login(ui, "owner")
    url = reverse("projects:card_edit", args=["vision", "links"])
    response = client.post(url, {"project_page": "not a url"})
    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    response = client.post(url, {"project_page": "https://example.org/vision", "vv_doc": "x" * 301})
    assert response.status_code == 400
    assert client.get(reverse("projects:card_edit", args=["vision", "nope"])).status_code == 404
    assert (
        client.post(
            reverse("projects:card_edit", args=["vision", "caveats"]), {"caveats": XSS}
        ).status_code
        == 302
    )
    assert MLTRLCard.objects.get(project=ui.vision).caveats == XSS
    page = client.get(reverse("projects:card", args=["vision"])).content.decode()
    assert "<script>alert" not in page


def test_team_maintainer_grants_a_role_and_the_reviewer_waits_on_the_request(ui, login, client):
    research = ui.org.teams["research"]
    membership_maintainer_set(
        team=research, user=ui.org.lead, is_maintainer=True, actor=admin_actor()
    )
    client.force_login(ui.org.lead)
    page = client.get(reverse("teams:detail", args=["research"])).content.decode()
    assert reverse("teams:manage", args=["research"]) in page
    manage = reverse("teams:manage", args=["research"])
    assert client.get(manage).status_code == 200
    # bad input and refusals in words
    response = client.post(
        reverse("teams:member_add", args=["research"]), {"add-username": "ghost"}
    )
    assert response.status_code == 400 and "no active user named" in response.content.decode()
    response = client.post(
        reverse("teams:role_grant", args=["research"]),
        {"grant-username": "lead", "grant-role": "research-peer"},
    )
    assert response.status_code == 403  # never to oneself
    response = client.post(
        reverse("teams:role_grant", args=["research"]),
        {"grant-username": "peer", "grant-role": "no-such-role"},
    )
    assert (
        response.status_code == 400
        and "Choose a role from the catalog." in response.content.decode()
    )
    # peer gets research-lead: the request 4 -> 5 now waits on peer
    response = client.post(
        reverse("teams:role_grant", args=["research"]),
        {"grant-username": "peer", "grant-role": "research-lead"},
    )
    assert response.status_code == 302
    assert ui.org.peer.role_grants.filter(role=ReviewRole.objects.get(key="research-lead")).exists()
    client.force_login(ui.org.peer)
    home = client.get(reverse("reviews:home")).content.decode()
    assert f"#{ui.request.pk}" in home
    # a non-maintainer sees no manage link and a forged POST is refused
    client.force_login(ui.org.researcher)
    assert manage not in client.get(reverse("teams:detail", args=["research"])).content.decode()
    response = client.post(reverse("teams:member_remove", args=["research"]), {"username": "peer"})
    assert response.status_code == 403
