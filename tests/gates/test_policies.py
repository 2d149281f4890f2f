"""Gate policies: versions, cumulative requirements, CI-reported results and re-evaluation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gates.defaults import DEFAULT_POLICIES
from gates.models import GatePolicy, GatePolicySlot, GatePolicyVersion
from gates.policies import policy_publish, requirements_resolve
from gates.selectors import check_statuses
from gates.services import check_run_record_completed, clean_commit_sha, external_result_record
from projects.actors import system_actor
from projects.models import AuditEvent
from projects.services import project_create
from reviews import services
from reviews.models import RequestState
from reviews.selectors import request_requirements, request_verdict
from tests.org import SHA_A, SHA_B, admin_actor
from tests.reviews.steps import approve_all, fill_card, open_advance, raises_message, ready

pytestmark = pytest.mark.django_db

CHECKS = {row["key"]: row["checks"] for row in DEFAULT_POLICIES}


def _second_project(org):
    return project_create(
        team=org.teams["research"],
        slug="audio",
        name="Audio model",
        reviewer_teams=[org.teams[t] for t in ("engineering", "product", "ethics-ops")],
        actor=admin_actor(),
    )


# --- versions ------------------------------------------------------------------------


def test_default_policies_are_published_as_version_one(org):
    assert GatePolicy.objects.count() == len(DEFAULT_POLICIES)
    for policy in GatePolicy.objects.all():
        assert list(policy.versions.values_list("number", flat=True)) == [1]


def test_publishing_an_unchanged_policy_makes_no_version(org):
    policy = GatePolicy.objects.get(key="0-1")
    latest = policy.versions.get()
    events = AuditEvent.objects.filter(kind="policy.published").count()
    assert policy_publish(policy=policy, actor=admin_actor()) == latest
    assert policy.versions.count() == 1
    assert AuditEvent.objects.filter(kind="policy.published").count() == events


def test_added_slot_is_a_new_version_and_an_open_request_keeps_the_old_one(org):
    before = ready(open_advance(org))
    policy = GatePolicy.objects.get(key="0-1")
    slot = GatePolicySlot.objects.create(policy=policy, count=1)
    slot.roles.set([org.role("research-peer")])
    version = policy_publish(policy=policy, actor=admin_actor())
    assert version.number == 2
    published = AuditEvent.objects.filter(kind="policy.published").last()
    assert published.payload == {"policy": "0-1", "version": 2}

    assert before.policy_version.number == 1
    assert len(request_requirements(before).slots) == 1
    approve_all(org, before, ["lead"])
    assert before.state == RequestState.APPROVED  # no research-peer needed under v1

    after = ready(open_advance(org, _second_project(org)))
    assert after.policy_version == version
    approve_all(org, after, ["lead"])
    assert after.state == RequestState.OPEN
    assert request_verdict(after).missing == ("Needs 1 more approval from research-peer.",)


def test_changed_checks_apply_to_new_requests_only(org):
    before = open_advance(org)
    policy = GatePolicy.objects.get(key="0-1")
    policy.required_checks = [*policy.required_checks, "coverage"]
    policy.save()
    assert policy_publish(policy=policy, actor=admin_actor()).number == 2

    assert request_requirements(before).required_checks == ("readme_purpose",)
    after = open_advance(org, _second_project(org))
    assert request_requirements(after).required_checks == ("readme_purpose", "coverage")
    # a later gate's cumulative checks pick up the new version of 0-1 as well
    _, reqs = requirements_resolve(kind="advance", from_level=1, to_level=2)
    assert reqs.required_checks == ("readme_purpose", "coverage", "experiment_records")
    assert reqs.check_policy_versions == {"0-1": 2, "1-2": 1}


# --- what each kind of request requires ----------------------------------------------


def test_requirements_are_cumulative(org):
    version, reqs = requirements_resolve(kind="advance", from_level=3, to_level=4)
    assert version.policy.key == "3-4"
    assert reqs.gate == "3-4"
    assert reqs.required_checks == (
        *CHECKS["0-1"],
        *CHECKS["1-2"],
        *CHECKS["2-3"],
        *CHECKS["3-4"],
    )
    assert reqs.required_card_sections == ("tldr", "requirements", "pitch")
    assert reqs.check_policy_versions == {"0-1": 1, "1-2": 1, "2-3": 1, "3-4": 1}
    assert reqs.waiver_roles == ("engineering", "research-lead")


def test_switchback_requires_no_checks(org):
    _, reqs = requirements_resolve(kind="switchback", from_level=5, to_level=4)
    assert reqs.gate == "switchback"
    assert reqs.required_checks == ()
    assert reqs.required_card_sections == ()
    assert reqs.waiver_roles == ()
    assert [(s.roles, s.count, s.scope) for s in reqs.slots] == [
        (("product", "research-lead"), 1, "owning_team")
    ]


def test_entry_requires_the_checks_of_every_gate_below_it(org):
    _, reqs = requirements_resolve(kind="entry", from_level=0, to_level=2)
    assert reqs.gate == "entry"
    assert reqs.required_checks == (*CHECKS["0-1"], *CHECKS["1-2"])
    assert reqs.required_card_sections == ("tldr", "intended_uses")


def test_missing_policy_is_a_validation_error(org):
    GatePolicy.objects.filter(key="2-3").update(key="2-3-retired")
    message = "No gate policy '2-3' is configured; an administrator must create it."
    with raises_message(ValidationError, message):
        requirements_resolve(kind="advance", from_level=2, to_level=3)
    with raises_message(ValidationError, "Unknown request kind 'sideways'."):
        requirements_resolve(kind="sideways", from_level=2, to_level=3)


def test_missing_policy_refuses_to_open_the_request(org):
    GatePolicy.objects.filter(key="0-1").update(key="0-1-retired")
    with raises_message(
        ValidationError, "No gate policy '0-1' is configured; an administrator must create it."
    ):
        open_advance(org)
    assert not org.project.level_requests.exists()
    assert GatePolicyVersion.objects.filter(policy__key="0-1-retired").count() == 1


# --- commit SHAs and CI-reported results ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (SHA_A, SHA_A),
        ("  " + "AbC123" * 6 + "abcd\n", ("abc123" * 6 + "abcd")),
        ("f" * 64, "f" * 64),
    ],
)
def test_clean_commit_sha_accepts_full_hex(raw, clean):
    assert clean_commit_sha(raw) == clean


@pytest.mark.parametrize(
    "raw", ["", "abc", "a" * 39, "a" * 41, "g" * 40, "a" * 63, "a" * 38 + " b"]
)
def test_clean_commit_sha_refuses_anything_else(raw):
    shown = raw.strip().lower()
    with raises_message(
        ValidationError, f"{shown!r} is not a full commit SHA (40 or 64 hex characters)."
    ):
        clean_commit_sha(raw)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"check_key": ""}, "A check key of 1 to 64 characters is required."),
        ({"check_key": "k" * 65}, "A check key of 1 to 64 characters is required."),
        ({"outcome": "ok"}, "Unknown outcome 'ok'; use one of pass, warn, fail, error."),
        ({"commit_sha": "main"}, "'main' is not a full commit SHA (40 or 64 hex characters)."),
    ],
)
def test_external_result_validation(org, kwargs, message):
    args = {"commit_sha": SHA_A, "check_key": "coverage", "outcome": "pass", **kwargs}
    with raises_message(ValidationError, message):
        external_result_record(project=org.project, actor=system_actor("ci"), **args)
    assert not org.project.external_results.exists()


def test_newest_external_result_per_key_wins(org):
    check_run_record_completed(
        project=org.project,
        commit_sha=SHA_A,
        results=[
            {"check_key": "coverage", "outcome": "pass", "message": "from the run"},
            {"check_key": "readme_purpose", "outcome": "pass", "message": "README found"},
        ],
        actor=system_actor("worker"),
    )
    external_result_record(
        project=org.project,
        commit_sha=SHA_A,
        check_key="coverage",
        outcome="pass",
        actor=system_actor("ci"),
    )
    external_result_record(
        project=org.project,
        commit_sha=SHA_A,
        check_key="coverage",
        outcome="fail",
        message="61%",
        actor=system_actor("ci"),
    )
    external_result_record(
        project=org.project,
        commit_sha=SHA_B,
        check_key="ci_unit_tests",
        outcome="pass",
        actor=system_actor("ci"),
    )
    external_result_record(
        project=org.project,
        commit_sha=SHA_A,
        check_key="ci_unit_tests",
        outcome="pass",
        actor=system_actor("ci"),
    )
    statuses = check_statuses(
        project=org.project,
        commit_sha=SHA_A,
        keys=["coverage", "readme_purpose", "ci_unit_tests", "api_docs"],
    )
    assert (statuses["coverage"].outcome, statuses["coverage"].message) == ("fail", "61%")
    assert statuses["coverage"].external is True
    assert statuses["readme_purpose"].outcome == "pass"
    assert statuses["readme_purpose"].external is False
    assert statuses["ci_unit_tests"].message == "Reported by CI."
    assert statuses["api_docs"].outcome is None
    assert AuditEvent.objects.filter(project=org.project, kind="check.reported").count() == 4


def test_statuses_without_a_commit_say_so(org):
    statuses = check_statuses(project=org.project, commit_sha="", keys=["readme_purpose"])
    assert statuses["readme_purpose"].message == "The request has no pinned commit yet."


# --- re-evaluation when results arrive -----------------------------------------------


def _waiting_only_on_readme(org):
    request = open_advance(org, commit_sha=SHA_A)
    fill_card(org.project, ["tldr"])
    approve_all(org, request, ["lead"])
    assert request_verdict(request).missing == (
        "Check readme_purpose has no result: No result on this commit yet.",
    )
    return request


def _run(org, sha, outcome):
    """The worker's completed run on ``sha`` with the README check's ``outcome``."""
    return check_run_record_completed(
        project=org.project,
        commit_sha=sha,
        results=[{"check_key": "readme_purpose", "outcome": outcome, "message": "README"}],
        actor=system_actor("worker"),
    )


def test_ci_cannot_report_a_check_the_server_computes(org, django_capture_on_commit_callbacks):
    """A CI report of ``readme_purpose`` would pass the gate on CI's word: refused."""
    request = _waiting_only_on_readme(org)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        external_result_record(
            project=org.project,
            commit_sha=SHA_A,
            check_key="readme_purpose",
            outcome="pass",
            actor=system_actor("ci"),
        )
    assert "computed by mltrl from the repository" in refused.value.message_dict["check"][0]
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    assert not AuditEvent.objects.filter(kind="check.reported").exists()


def test_result_on_another_commit_does_not_approve(org, django_capture_on_commit_callbacks):
    request = _waiting_only_on_readme(org)
    with django_capture_on_commit_callbacks(execute=True):
        _run(org, SHA_B, "pass")
        _run(org, SHA_A, "fail")
    request.refresh_from_db()
    assert request.state == RequestState.OPEN


def test_completed_run_on_the_pinned_commit_approves(org, django_capture_on_commit_callbacks):
    request = _waiting_only_on_readme(org)
    with django_capture_on_commit_callbacks(execute=True):
        check_run_record_completed(
            project=org.project,
            commit_sha=SHA_A,
            results=[{"check_key": "readme_purpose", "outcome": "pass", "message": "ok"}],
            actor=system_actor("worker"),
        )
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED


def test_without_the_commit_callback_nothing_is_reevaluated(org):
    request = _waiting_only_on_readme(org)
    _run(org, SHA_A, "pass")
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    assert services.request_reevaluate(level_request=request, actor=system_actor("worker")) is True
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
