"""CI evidence posts (idempotent) and the gate query before and after an approval."""

from __future__ import annotations

from gates.models import ExternalCheckResult
from gates.services import check_run_record_completed
from projects.actors import system_actor
from reviews import services
from tests.api.conftest import token_client
from tests.reviews.steps import approve_all, fill_card

SHA = "c" * 40


def _post(client, body, key=None):
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/projects/vision/evidence/", body, format="json", **extra)


def test_evidence_post_records_a_result_with_url_and_metrics(org):
    client = token_client(org.researcher, scopes=("evidence:write",))
    body = {
        "commit": SHA.upper(),
        "check": "golden_eval",
        "status": "pass",
        "summary": "F1 0.91 on the golden set",
        "url": "https://ci.example.com/runs/7",
        "metrics": {"f1": 0.91},
    }
    response = _post(client, body)
    assert response.status_code == 201, response.content
    row = ExternalCheckResult.objects.get()
    assert (row.commit_sha, row.check_key, row.outcome) == (SHA, "golden_eval", "pass")
    assert row.details == {"url": "https://ci.example.com/runs/7", "metrics": {"f1": 0.91}}
    assert row.reported_by == org.researcher


def test_same_idempotency_key_replays_and_a_different_body_is_409(org):
    client = token_client(org.researcher)
    body = {"commit": SHA, "check": "unit_tests", "status": "pass"}
    first = _post(client, body, key="run-42")
    again = _post(client, body, key="run-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ExternalCheckResult.objects.count() == 1
    conflict = _post(client, {**body, "status": "fail"}, key="run-42")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"
    assert ExternalCheckResult.objects.count() == 1
    assert _post(client, body, key="run-43").status_code == 201
    assert ExternalCheckResult.objects.count() == 2


def test_an_idempotency_key_is_bound_to_its_endpoint(org, second_project):
    """The same key and body on another project's evidence is a 409, never the first
    project's answer (not even to a token that sees only the other project)."""
    body = {"commit": SHA, "check": "unit_tests", "status": "pass"}
    first = _post(token_client(org.researcher), body, key="run-7")
    assert first.status_code == 201
    other = token_client(org.researcher, projects=[second_project])
    response = other.post(
        "/api/v1/projects/nlp/evidence/", body, format="json", HTTP_IDEMPOTENCY_KEY="run-7"
    )
    assert response.status_code == 409, response.content
    assert response.json() == {
        "code": "idempotency_conflict",
        "message": "This Idempotency-Key was used on another endpoint; use a new key.",
    }
    assert "vision" not in response.content.decode()
    assert ExternalCheckResult.objects.count() == 1
    # The first endpoint still replays its answer.
    assert _post(token_client(org.researcher), body, key="run-7").json() == first.json()


def test_a_refused_post_stores_no_idempotency_record(org):
    """A 403 is not remembered: once the caller may post, the same key works."""
    body = {"commit": SHA, "check": "unit_tests", "status": "pass"}
    refused = _post(token_client(org.eng), body, key="k1")
    assert refused.status_code == 403
    assert _post(token_client(org.researcher), body, key="k1").status_code == 201


def _run(org, outcome, sha=SHA):
    """A completed run of the worker on ``sha`` with the README check's ``outcome``."""
    return check_run_record_completed(
        project=org.project,
        commit_sha=sha,
        results=[{"check_key": "readme_purpose", "outcome": outcome, "message": "README"}],
        actor=system_actor("worker"),
    )


def _gate(client, level, sha=SHA):
    return client.get(f"/api/v1/projects/vision/gate/?level={level}&commit={sha}")


def test_gate_says_no_with_reasons_then_yes_after_evidence_and_approval(org):
    client = token_client(org.researcher)
    answer = _gate(client, 1).json()
    assert answer["allowed"] is False
    assert answer["granted_level"] == 0 and answer["evidence_level"] == 0
    assert any("granted level 0" in r for r in answer["reasons"])
    assert any("No result for check readme_purpose" in r for r in answer["reasons"])
    assert answer["items"] == [
        {
            "check": "readme_purpose",
            "outcome": None,
            "state": "missing",
            "message": "No result on this commit yet.",
        }
    ]
    # CI cannot speak for a check mltrl computes from the repository (400 on
    # ``check``): only the worker's run decides it.
    refused = _post(client, {"commit": SHA, "check": "readme_purpose", "status": "pass"})
    assert refused.status_code == 400
    assert "computed by mltrl from the repository" in refused.json()["fields"]["check"][0]
    assert _gate(client, 1).json()["items"][0]["state"] == "missing"
    # The worker's run fails the README check (on another commit): the reason names
    # the outcome, and a CI report stored for that key before the rule existed does
    # not overrule the run.
    other = "e" * 40
    _run(org, "fail", other)
    assert any("readme_purpose is fail" in r for r in _gate(client, 1, other).json()["reasons"])
    ExternalCheckResult.objects.create(
        project=org.project,
        commit_sha=other,
        check_key="readme_purpose",
        outcome="pass",
        reported_by=org.researcher,
    )
    assert any("readme_purpose is fail" in r for r in _gate(client, 1, other).json()["reasons"])
    _run(org, "pass")
    # Evidence holds, the level is not granted yet.
    answer = _gate(client, 1).json()
    assert answer["allowed"] is False and answer["evidence_level"] >= 1
    assert answer["reasons"] == [
        "Vision model is granted level 0; level 1 needs an approved level-change request first."
    ]
    request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA
    )
    fill_card(org.project)
    request = approve_all(org, request, ["lead"])
    assert request.state == "approved"
    answer = _gate(client, 1).json()
    assert answer == {**answer, "allowed": True, "granted_level": 1, "reasons": []}
    # Level 0 is always allowed; a different commit lacks the evidence.
    assert _gate(client, 0).json()["allowed"] is True
    assert _gate(client, 1, sha="d" * 40).json()["allowed"] is False


def test_gate_query_counts_do_not_grow_with_levels(org, django_assert_max_num_queries):
    client = token_client(org.researcher)
    _gate(client, 1)
    with django_assert_max_num_queries(8):
        _gate(client, 9)


def test_an_unknown_field_in_an_evidence_post_is_a_400_naming_it(org):
    """A misspelt field (``sumary``) would be dropped silently: refused, nothing stored."""
    client = token_client(org.researcher)
    body = {"commit": SHA, "check": "golden_eval", "status": "pass", "sumary": "F1 0.91"}
    response = _post(client, body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sumary"]
    assert not ExternalCheckResult.objects.exists()


def test_metrics_in_a_form_body_are_refused_not_dropped(org):
    """A form cannot carry the ``metrics`` object: a 400 saying to send JSON, not a 201
    that silently stored no metrics (found by schemathesis)."""
    client = token_client(org.researcher)
    body = {"commit": SHA, "check": "golden_eval", "status": "pass", "metrics": '{"f1": 0.9}'}
    response = client.post("/api/v1/projects/vision/evidence/", body)  # multipart
    assert response.status_code == 400
    assert "send the body as JSON" in response.json()["fields"]["metrics"][0]
    assert not ExternalCheckResult.objects.exists()


def test_a_boolean_metric_is_not_a_number(org):
    body = {"commit": SHA, "check": "golden_eval", "status": "pass", "metrics": {"ok": True}}
    response = _post(token_client(org.researcher), body)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["metrics.ok"]


def test_json_values_have_the_schema_type(org):
    """DRF's fields would take ``0`` for the summary string: refused, naming the field."""
    client = token_client(org.researcher)
    body = {"commit": SHA, "check": "golden_eval", "status": "pass", "summary": 0}
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["fields"] == {"summary": ["A string (text in quotes)."]}
    body["summary"] = "F1 0.91"
    assert _post(client, body).status_code == 201
