"""One error format: 400 with field errors, 403/404 as the permission entry point
intends, 429 with Retry-After, CSRF on session writes; never a 500 on bad input."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from projects.api.access import CallerThrottle
from tests.api.conftest import session_client, token_client
from tests.org import SHA_A

EVIDENCE = "/api/v1/projects/vision/evidence/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "commit"),
        ({"commit": "abc", "check": "unit", "status": "pass"}, "commit"),
        ({"commit": SHA_A, "check": "Bad Name!", "status": "pass"}, "check"),
        ({"commit": SHA_A, "check": "unit", "status": "green"}, "status"),
        ({"commit": SHA_A, "check": "unit", "status": "pass", "url": "notaurl"}, "url"),
        # A nested field's errors are keyed by its path: every value is a list of sentences.
        ({"commit": SHA_A, "check": "unit", "status": "pass", "metrics": {"a": "x"}}, "metrics.a"),
        ({"commit": SHA_A, "check": "unit", "status": "pass", "metrics": {"a\x00": 1}}, "metrics"),
        ({"commit": SHA_A, "check": "unit", "status": "pass", "metrics": [1]}, "metrics"),
        ({"commit": SHA_A, "check": "unit", "status": "pass", "summary": "s" * 501}, "summary"),
    ],
)
def test_bad_evidence_is_400_with_field_errors(org, body, field):
    response = token_client(org.researcher).post(EVIDENCE, body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    assert field in payload["fields"]
    assert all(
        isinstance(v, list) and all(isinstance(m, str) for m in v)
        for v in payload["fields"].values()
    )
    assert payload["message"].startswith(f"{field}:")


def test_non_json_body_is_400_not_500(org):
    client = token_client(org.researcher)
    response = client.post(EVIDENCE, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", EVIDENCE),
        ("post", "/api/v1/requests/"),
        ("patch", "/api/v1/projects/vision/card/"),
    ],
)
def test_deeply_nested_json_is_400_parse_error_not_500(org, method, path):
    """``{"a":`` x 3000 (18 KB) overflows the decoder's recursion: a 400 like bad JSON."""
    body = '{"a":' * 3000 + "1" + "}" * 3000
    client = session_client(org.researcher) if method == "patch" else token_client(org.researcher)
    client.enforce_csrf_checks = False
    response = getattr(client, method)(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json() == {
        "code": "parse_error",
        "message": "JSON parse error - the body is nested too deeply.",
    }


@pytest.mark.parametrize(
    "query",
    ["", "?level=1", f"?commit={SHA_A}", f"?level=10&commit={SHA_A}", "?level=x&commit=zz"],
)
def test_bad_gate_query_is_400(org, query):
    response = token_client(org.researcher).get(f"/api/v1/projects/vision/gate/{query}")
    assert response.status_code == 400
    assert response.json()["fields"]


def test_bad_filters_and_pages_are_400_or_404_never_500(org):
    client = token_client(org.researcher)
    assert client.get("/api/v1/projects/?level=x").status_code == 400
    assert client.get("/api/v1/projects/?status=nope").status_code == 400
    assert client.get("/api/v1/projects/?page=99").status_code == 404
    for ordering in ("password", "bogus", "level,bogus", "-", ","):
        refused = client.get(f"/api/v1/projects/?ordering={ordering}")
        assert refused.status_code == 400, ordering
        assert refused.json()["fields"] == {
            "ordering": ["Order by one of: slug, name, level, evidence_level, updated_at."]
        }
    assert client.get("/api/v1/projects/?ordering=-level,slug").status_code == 200
    assert client.get("/api/v1/projects/?ordering=").status_code == 200  # the default order
    assert client.get("/api/v1/projects/?level_min=0.5").status_code == 400
    for query in ("page=0", "page=", "page=last", "page_size=0", "page_size=201", "page_size=x"):
        response = client.get(f"/api/v1/requests/?{query}")
        assert response.status_code == 400, query
        assert set(response.json()["fields"]) <= {"page", "page_size"}, query
    assert client.get("/api/v1/requests/?page_size=200").status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/requests/x/", "/api/v1/nothing/", "/api/v1/projects/a%20b/card/"]
)
def test_unrouted_api_urls_answer_404_in_the_api_format(org, path):
    response = token_client(org.researcher).get(path)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_unrouted_api_urls_answer_json_404_with_debug_and_without_a_slash(
    org, settings, debug, method
):
    """With DEBUG on, Django answered its HTML page listing every URL pattern, and
    APPEND_SLASH turned ``POST /api/v1/requests`` into a 500 (or a 301 that clients
    follow as a GET): every method gets the JSON 404, naming the slashed path."""
    settings.DEBUG = debug
    client = token_client(org.researcher)
    missing = getattr(client, method)("/api/v1/requests", {}, format="json")
    assert missing.status_code == 404, missing.content[:300]
    assert missing.json() == {
        "code": "not_found",
        "message": "Not found; did you mean /api/v1/requests/ ?",
    }
    nothing = getattr(client, method)("/api/v1/nothing", {}, format="json")
    assert nothing.json() == {"code": "not_found", "message": "Not found."}
    assert getattr(client, method)("/api/v2/x/").json()["code"] == "not_found"
    assert APIClient().get("/api/v1/projects/vision").json()["message"].endswith("vision/ ?")


def test_session_write_needs_csrf(org):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org.researcher)
    body = {"commit": SHA_A, "check": "unit", "status": "pass"}
    response = client.post(EVIDENCE, body, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_service_refusal_is_403_for_a_visible_project(org):
    """A reviewer sees vision but may not request level changes: the service says 403."""
    body = {"commit": SHA_A, "check": "unit", "status": "pass"}
    response = session_client(org.eng).post(EVIDENCE, body, format="json")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "message": response.json()["message"]}


def test_throttled_caller_gets_429_with_retry_after(org, monkeypatch):
    monkeypatch.setattr(CallerThrottle, "rate", "3/min", raising=False)
    client = token_client(org.researcher)
    codes = [client.get("/api/v1/levels/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/levels/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    # Each token has its own budget.
    assert token_client(org.researcher).get("/api/v1/levels/").status_code == 200


HUGE = "99999999999999999999999"  # past any 64-bit column
PAST_BIGINT = "9223372036854775808"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/waivers/?request={HUGE}", "request"),
        (f"/api/v1/runs/?request={PAST_BIGINT}", "request"),
        (f"/api/v1/projects/?level_min={HUGE}", "level_min"),
        ("/api/v1/projects/vision/card/diff/?from=1&to=²", "to"),
        (f"/api/v1/projects/vision/card/diff/?from={HUGE}&to=1", "from"),
        ("/api/v1/projects/vision/card/export/?version=٣", "version"),
        ("/api/v1/projects/vision/level-at/?at=9999-12-31T23:59:59-12:00", "at"),
        ("/api/v1/projects/vision/level-at/?at=0001-01-01T00:00:00%2B14:00", "at"),
    ],
)
def test_huge_ids_unicode_digits_and_far_times_are_400_naming_the_parameter(org, path, field):
    """SQLite cannot bind a number past 64 bits to a foreign-key lookup, ``int("²")``
    raises, and year 9999 at -12:00 is year 10000 in UTC: each was a 500."""
    response = token_client(org.researcher).get(path)
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]


def test_the_last_moment_in_utc_still_answers_the_level(org):
    response = token_client(org.researcher).get(
        "/api/v1/projects/vision/level-at/?at=9999-12-31T23:59:59Z"
    )
    assert response.status_code == 200 and response.json()["level"] == 0


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", EVIDENCE), ("post", "/api/v1/requests/"), ("patch", "/api/v1/projects/vision/card/")],
)
def test_a_body_over_the_limit_is_413_in_the_api_format(org, settings, debug, method, path):
    """~3 MB of JSON: Django's RequestDataTooBig was its HTML 400 page (DEBUG or not)."""
    settings.DEBUG = debug
    body = '{"summary": "' + "x" * 3_000_000 + '"}'
    client = session_client(org.researcher) if method == "patch" else token_client(org.researcher)
    response = getattr(client, method)(path, data=body, content_type="application/json")
    assert response.status_code == 413, response.content[:200]
    assert response.json() == {
        "code": "too_large",
        "message": "The body is larger than 2,621,440 bytes.",
    }


def test_requests_django_refuses_before_a_view_answer_json_under_api_only(org):
    """``handler400``: a Host header not allowed (SuspiciousOperation in the middleware)."""
    refused = token_client(org.researcher).get("/api/v1/levels/", HTTP_HOST="evil.example")
    assert refused.status_code == 400
    assert refused.json() == {"code": "bad_request", "message": "Bad request."}
    page = APIClient().get("/projects/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
