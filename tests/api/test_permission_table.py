"""Every endpoint x every kind of caller, generated from one table.

404 for what a caller may not see, 403 for what it sees but may not do (or a
token scope it lacks), 401 without valid credentials.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import CheckRun
from reviews import services
from reviews.waivers import waiver_grant
from tests.org import SHA_A
from webhooks.delivery import deliveries_create
from webhooks.services import subscription_create

EVIDENCE = {"commit": SHA_A, "check": "unit_tests", "status": "pass", "summary": "412 passed"}

# endpoint name -> (method, path template, body)
ENDPOINTS = {
    "levels": ("get", "/api/v1/levels/", None),
    "projects": ("get", "/api/v1/projects/", None),
    "project": ("get", "/api/v1/projects/vision/", None),
    "gate": ("get", f"/api/v1/projects/vision/gate/?level=1&commit={SHA_A}", None),
    "evidence": ("post", "/api/v1/projects/vision/evidence/", EVIDENCE),
    "checks": ("get", "/api/v1/requests/{request}/checks/", None),
    "requests": ("get", "/api/v1/requests/", None),
    "request": ("get", "/api/v1/requests/{request}/", None),
    "open": ("post", "/api/v1/requests/", {"project": "nlp", "kind": "advance", "to_level": 1}),
    "withdraw": ("post", "/api/v1/requests/{request}/withdraw/", {}),
    "resubmit": ("post", "/api/v1/requests/{request}/resubmit/", {}),
    "submit": ("post", "/api/v1/requests/{request}/submit/", None),
    "signoff": ("post", "/api/v1/requests/{request}/signoffs/", {"decision": "request_changes"}),
    "rerun": ("post", "/api/v1/requests/{request}/rerun/", None),
    "card": ("get", "/api/v1/projects/vision/card/", None),
    "card_patch": ("patch", "/api/v1/projects/vision/card/", {"tldr": "Finds defects."}),
    "versions": ("get", "/api/v1/projects/vision/card/versions/", None),
    "diff": ("get", "/api/v1/projects/vision/card/diff/?from=1&to=1", None),
    "export": ("get", "/api/v1/projects/vision/card/export/?as=json", None),
    "audit": ("get", "/api/v1/projects/vision/audit/", None),
    "level_at": ("get", "/api/v1/projects/vision/level-at/?at=2030-01-01T00:00:00Z", None),
    "teams": ("get", "/api/v1/teams/", None),
    "project_new": ("post", "/api/v1/projects/", {"slug": "n1", "name": "N", "team": "research"}),
    "project_patch": ("patch", "/api/v1/projects/vision/", {"description": "Photos."}),
    "runs": ("get", "/api/v1/runs/", None),
    "run": ("get", "/api/v1/runs/{run}/", None),
    "waivers": ("get", "/api/v1/waivers/", None),
    "portfolio": ("get", "/api/v1/portfolio/", None),
    "portfolio_table": ("get", "/api/v1/portfolio/levels/", None),
}

COLUMNS = ("levels", "projects", "project", "gate", "evidence", "checks")
REQUEST_COLUMNS = ("requests", "request", "open", "withdraw", "resubmit", "signoff", "rerun")
REQUEST_COLUMNS += ("submit",)
# caller -> expected status per column; "projects" also says whether vision is listed.
TABLE = {
    "owner": (200, "listed", 200, 200, 201, 200),
    "reviewer": (200, "listed", 200, 200, 403, 200),
    "other_team": (200, "hidden", 404, 404, 404, 404),
    "anonymous": (401, 401, 401, 401, 401, 401),
    "token_all": (200, "listed", 200, 200, 201, 200),
    "token_read": (200, "listed", 200, 200, 403, 200),
    "token_evidence": (403, 403, 403, 403, 201, 403),
    "token_reviewer": (200, "listed", 200, 200, 403, 200),
    "token_restricted": (200, "hidden", 404, 404, 404, 404),
    "token_owner_restricted": (200, "listed", 200, 200, 201, 200),
    "token_expired": (401, 401, 401, 401, 401, 401),
    "token_revoked": (401, 401, 401, 401, 401, 401),
}

# The request is open (resubmit needs changes requested, submit a draft: 400); vision
# has no repository (rerun: 400); ``open`` targets nlp, a second research project;
# the reviewer signing is an engineer holding no role this gate counts (400), the
# owner is the requester.
REQUEST_TABLE = {
    "owner": ("listed", 200, 201, 200, 400, 403, 400, 400),
    "reviewer": ("listed", 200, 404, 403, 403, 400, 403, 403),
    "other_team": ("hidden", 404, 404, 404, 404, 404, 404, 404),
    "anonymous": (401, 401, 401, 401, 401, 401, 401, 401),
    "token_all": ("listed", 200, 201, 200, 400, 403, 400, 400),
    "token_read": ("listed", 200, 403, 403, 403, 403, 403, 403),
    "token_evidence": (403, 403, 403, 403, 403, 403, 403, 403),
    "token_reviewer": ("listed", 200, 404, 403, 403, 403, 403, 403),
    "token_restricted": ("hidden", 404, 201, 404, 404, 403, 404, 404),
    "token_owner_restricted": ("listed", 200, 404, 200, 400, 403, 400, 400),
    "token_expired": (401, 401, 401, 401, 401, 401, 401, 401),
    "token_revoked": (401, 401, 401, 401, 401, 401, 401, 401),
}
for caller, row in REQUEST_TABLE.items():
    TABLE[caller] = (*TABLE[caller], *row)
COLUMNS = (*COLUMNS, *REQUEST_COLUMNS)

PROJECT_COLUMNS = ("card", "card_patch", "versions", "diff", "export", "audit", "level_at")
PROJECT_COLUMNS += ("teams", "project_new", "project_patch")
# Reads follow project visibility; card and project writes are for people (no token
# scope covers them: 403 for every live token), checked by the services.
SEE, HIDE, GONE = (200,) * 7, (404,) * 7, (401,) * 10
PROJECT_TABLE = {
    "owner": (200, 200, *SEE[2:], 200, 201, 200),
    "reviewer": (200, 403, *SEE[2:], 200, 403, 403),
    "other_team": (*HIDE, 200, 403, 404),
    "anonymous": GONE,
    "token_all": (200, 403, *SEE[2:], 200, 403, 403),
    "token_read": (200, 403, *SEE[2:], 200, 403, 403),
    "token_evidence": (403,) * 10,
    "token_reviewer": (200, 403, *SEE[2:], 200, 403, 403),
    "token_restricted": (404, 403, *HIDE[2:], 200, 403, 403),
    "token_owner_restricted": (200, 403, *SEE[2:], 200, 403, 403),
    "token_expired": GONE,
    "token_revoked": GONE,
}
for caller, row in PROJECT_TABLE.items():
    TABLE[caller] = (*TABLE[caller], *row)
COLUMNS = (*COLUMNS, *PROJECT_COLUMNS)

HOOK = "/api/v1/webhooks/{hook}/"
HOOK_NEW = {"url": "https://8.8.8.8/h", "events": ["level.changed"], "project": "vision"}
ENDPOINTS.update(
    {
        "hooks": ("get", "/api/v1/webhooks/", None),
        "hook_new": ("post", "/api/v1/webhooks/", HOOK_NEW),
        "hook": ("get", HOOK, None),
        "hook_patch": ("patch", HOOK, {"description": "Deploy bot"}),
        "hook_delete": ("delete", HOOK, None),
        "hook_log": ("get", HOOK + "deliveries/", None),
        "redeliver": ("post", HOOK + "deliveries/{delivery}/redeliver/", None),
    }
)
HOOK_COLUMNS = ("hooks", "hook_new", "hook", "hook_patch", "hook_delete", "hook_log", "redeliver")
# Webhook subscriptions of vision are seen (and managed) by who may change vision; reads
# need ``read``, writes ``webhooks:write``; the reviewer sees vision but not its hooks.
HOOK_MANAGE, HOOK_UNSEEN = ("listed", 201, 200, 200, 204, 200, 202), ("hidden", 403, *(404,) * 5)
HOOK_TABLE = {
    "owner": HOOK_MANAGE,
    "reviewer": HOOK_UNSEEN,
    "other_team": ("hidden", *(404,) * 6),
    "anonymous": (401,) * 7,
    "token_all": HOOK_MANAGE,
    "token_read": ("listed", 403, 200, 403, 403, 200, 403),
    "token_evidence": (403,) * 7,
    "token_reviewer": HOOK_UNSEEN,
    "token_restricted": ("hidden", *(404,) * 6),
    "token_owner_restricted": HOOK_MANAGE,
    "token_expired": (401,) * 7,
    "token_revoked": (401,) * 7,
}
for caller, row in HOOK_TABLE.items():
    TABLE[caller] = (*TABLE[caller], *row)
COLUMNS = (*COLUMNS, *HOOK_COLUMNS)
RECORD_COLUMNS = ("runs", "run", "waivers", "portfolio", "portfolio_table")
# Runs and waivers follow project visibility; the portfolio answers every reader,
# with the numbers of the projects it may see (tests/api/test_runs_waivers.py).
SEEN, UNSEEN = ("listed", 200, "listed", 200, 200), ("hidden", 404, "hidden", 200, 200)
RECORD_TABLE = {
    "owner": SEEN,
    "reviewer": SEEN,
    "other_team": UNSEEN,
    "anonymous": (401,) * 5,
    "token_all": SEEN,
    "token_read": SEEN,
    "token_evidence": (403,) * 5,
    "token_reviewer": SEEN,
    "token_restricted": UNSEEN,
    "token_owner_restricted": SEEN,
    "token_expired": (401,) * 5,
    "token_revoked": (401,) * 5,
}
for caller, row in RECORD_TABLE.items():
    TABLE[caller] = (*TABLE[caller], *row)
COLUMNS = (*COLUMNS, *RECORD_COLUMNS)
LISTS = {"projects", "requests", "runs", "waivers", "hooks"}

CASES = [(caller, col) for caller in TABLE for col in COLUMNS]


@pytest.fixture
def level_request(org):
    """The open request on vision, a check run of it, and a waiver on vision."""
    opened = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    opened.run = CheckRun.objects.create(
        project=org.project, commit_sha=SHA_A, request_id=opened.pk, status="succeeded"
    )
    waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="README is in the wiki for now.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    return opened


@pytest.fixture
def hook(org):
    """A subscription to vision's events by its owner, with one delivery in its log."""
    made = subscription_create(
        actor=org.researcher,
        project=org.project,
        url="https://8.8.8.8/h",
        events=["level.changed"],
    )
    delivery = deliveries_create([made.subscription], event="level.changed", body="{}",
                                 event_id=None)[0]  # fmt: skip
    return {"hook": made.subscription.pk, "delivery": delivery.pk}


@pytest.mark.parametrize(("caller", "endpoint"), CASES, ids=[f"{c}-{e}" for c, e in CASES])
def test_endpoint_answers_caller_as_the_table_says(caller, endpoint, callers, level_request, hook):
    method, path, body = ENDPOINTS[endpoint]
    expected = TABLE[caller][COLUMNS.index(endpoint)]
    client = callers[caller]()
    url = path.format(request=level_request.pk, run=level_request.run.pk, **hook)
    response = getattr(client, method)(url, body, format="json")
    if expected in ("listed", "hidden"):
        assert endpoint in LISTS
        assert response.status_code == 200, response.content
        key = "slug" if endpoint == "projects" else "project"
        slugs = [p[key] for p in response.json()["results"]]
        assert ("vision" in slugs) is (expected == "listed")
        return
    assert response.status_code == expected, response.content
    if expected >= 400:
        body = response.json()
        assert set(body) <= {"code", "message", "fields"} and body["message"], body
        if expected == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")


def test_table_covers_every_api_url():
    """A new endpoint under /api/v1/ without a column here fails this test."""
    from mltrl_site import urls_api

    routes = {str(p.pattern) for p in urls_api.urlpatterns}
    covered = {
        "levels/",
        "projects/",
        "projects/<slug:slug>/",
        "projects/<slug:slug>/gate/",
        "projects/<slug:slug>/evidence/",
        "requests/<int:pk>/checks/",
        "requests/",
        "requests/<int:pk>/",
        "requests/<int:pk>/withdraw/",
        "requests/<int:pk>/resubmit/",
        "requests/<int:pk>/submit/",
        "requests/<int:pk>/signoffs/",
        "requests/<int:pk>/rerun/",
        "projects/<slug:slug>/card/",
        "projects/<slug:slug>/card/versions/",
        "projects/<slug:slug>/card/diff/",
        "projects/<slug:slug>/card/export/",
        "projects/<slug:slug>/audit/",
        "projects/<slug:slug>/level-at/",
        "teams/",
        "runs/",
        "runs/<int:pk>/",
        "waivers/",
        "portfolio/",
        "portfolio/<slug:key>/",
    }
    # Push hooks take no caller credentials; tests/api/test_push_hooks.py covers them.
    hooks = {"hooks/github/", "hooks/gitlab/"}
    # Policies are organisation-wide (not per project): tests/api/test_policies_api.py.
    policies = {
        "policies/",
        "policies/<slug:key>/export/",
        "policies/<slug:key>/import/",
        "policies/<slug:key>/diff/",
    }
    covered |= {"webhooks/", "webhooks/<int:pk>/", "webhooks/<int:pk>/deliveries/"}
    covered |= {"webhooks/<int:pk>/deliveries/<int:delivery>/redeliver/"}
    assert routes == covered | hooks | policies
