"""At risk (reviews.risk): flagged from real scheduled runs on real repositories.

A project at level 7 links a git repository (file://, see tests/gitrepo.py); the
gate policies are narrowed so level 7 needs exactly ``readme_purpose``, which a
commit can break (delete the README) and mend (write it back). Runs are queued
as the beat actor with the ``schedule`` trigger and executed by the real engine;
the on_commit announcement drives the receiver that assesses the risk.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from gates.engine import check_run_execute
from gates.models import GateKind, GatePolicy, RunTrigger
from gates.policies import policy_publish
from gates.runs import check_run_request
from projects.actors import system_actor
from projects.models import AuditEvent, Project
from projects.services import project_level_apply, project_update
from reviews import services as reviews
from reviews.models import LevelChangeRequest, ProjectRisk, RequestKind, RequestState
from reviews.risk import project_risk_assess
from reviews.tasks import assess_risks
from tests.gitrepo import commit, make_repo
from tests.gitserver import allow_loopback
from tests.org import admin_actor

README = (
    "# Vision\n\nThis project detects soldering defects in photographs of printed circuit "
    "boards so that the quality assurance line can stop faulty batches early.\n"
)


@pytest.fixture
def root(settings, tmp_path):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    return tmp_path / "repos"


@pytest.fixture
def repo(root):
    return make_repo(root, {"README.md": README, "src/model.py": "def predict(x):\n    return x\n"})


@pytest.fixture
def project(org, repo) -> Project:
    for policy in GatePolicy.objects.filter(kind=GateKind.ADVANCE):
        policy.required_checks = ["readme_purpose"] if policy.key == "6-7" else []
        policy.required_card_sections = []
        policy.save()
        policy_publish(policy=policy, actor=admin_actor())
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        project_level_apply(project=locked, to_level=7, actor=admin_actor(), reason="setup")
    return Project.objects.get(pk=project.pk)


@pytest.fixture
def scheduled(django_capture_on_commit_callbacks):
    """Queue a scheduled run as beat, execute it, and deliver its on_commit work."""

    def run(project):
        with django_capture_on_commit_callbacks(execute=True):
            queued = check_run_request(
                project=project, trigger=RunTrigger.SCHEDULE, actor=system_actor("beat")
            )
        with django_capture_on_commit_callbacks(execute=True):
            check_run_execute(queued.pk)
        queued.refresh_from_db()
        # A second scheduled run of an unchanged head is a duplicate of the first.
        assert queued.status == "succeeded" or queued.duplicate_of_id, queued.message
        return queued

    return run


def _break(repo):
    commit(repo, {"README.md": None}, "drop the README")


def test_passing_scheduled_run_flags_nothing(project, scheduled):
    scheduled(project)
    assert not ProjectRisk.objects.filter(project=project, since__isnull=False).exists()
    assert not AuditEvent.objects.filter(project=project, kind="project.at_risk").exists()


def test_failing_required_check_flags_with_reasons_and_proposes_a_draft(
    org, project, repo, scheduled
):
    _break(repo)
    run = scheduled(project)
    risk = ProjectRisk.objects.get(project=project)
    assert risk.since is not None and risk.run_id == run.pk
    kinds = {(r["kind"], r["check"]) for r in risk.reasons}
    assert kinds == {("check_failing", "readme_purpose"), ("evidence_below", "")}
    draft = risk.proposed_request
    assert draft.state == RequestState.DRAFT  # proposed, not opened
    assert draft.kind == RequestKind.SWITCHBACK and draft.to_level == 6
    assert draft.requester.username == "system:worker"
    assert "readme_purpose" in draft.reason
    event = AuditEvent.objects.get(project=project, kind="project.at_risk")
    assert event.actor.username == "system:worker"
    assert event.payload["proposed_request"] == draft.pk
    # The owning team submits the proposal: it becomes theirs to review.
    reviews.request_submit(level_request=draft, actor=org.researcher)
    draft.refresh_from_db()
    assert draft.state == RequestState.OPEN


def test_flag_clears_when_checks_pass_again_and_draft_is_withdrawn(project, repo, scheduled):
    _break(repo)
    scheduled(project)
    since = ProjectRisk.objects.get(project=project).since
    scheduled(project)  # still failing: same flag, same since, no second event
    assert assess_risks() == 1
    risk = ProjectRisk.objects.get(project=project)
    assert risk.since == since
    assert AuditEvent.objects.filter(project=project, kind="project.at_risk").count() == 1
    draft_pk = risk.proposed_request_id
    commit(repo, {"README.md": README}, "README back")
    scheduled(project)
    risk.refresh_from_db()
    assert risk.since is None and risk.reasons == [] and risk.proposed_request is None
    assert LevelChangeRequest.objects.get(pk=draft_pk).state == RequestState.WITHDRAWN
    cleared = AuditEvent.objects.get(project=project, kind="project.risk_cleared")
    assert cleared.payload["withdrawn_request"] == draft_pk


def test_no_draft_while_the_team_has_a_request_under_way(org, project, repo, scheduled):
    own = reviews.request_open(
        project=project, actor=org.researcher, kind=RequestKind.ADVANCE, to_level=8, submit=False
    )
    _break(repo)
    scheduled(project)
    risk = ProjectRisk.objects.get(project=project)
    assert risk.since is not None and risk.proposed_request is None
    assert LevelChangeRequest.objects.filter(project=project).get().pk == own.pk


def test_below_monitoring_level_is_not_flagged(settings, project, repo, scheduled):
    settings.MLTRL_MONITOR_FROM_LEVEL = 8
    _break(repo)
    scheduled(project)
    assert not ProjectRisk.objects.filter(project=project, since__isnull=False).exists()


def test_only_the_worker_assesses(org, project):
    from django.core.exceptions import PermissionDenied

    for actor in (org.manager, admin_actor(), system_actor("beat")):
        with pytest.raises(PermissionDenied):
            project_risk_assess(project_id=project.pk, actor=actor)


def test_expired_waiver_is_a_reason_on_the_beat(org, project, repo, scheduled):
    """A waiver of the failing check keeps the flag to evidence; once expired the check counts."""
    from datetime import timedelta

    from django.utils import timezone

    from reviews.models import Waiver

    _break(repo)
    scheduled(project)
    # Written directly: waiver_grant needs a request under review; the rule reads the row.
    Waiver.objects.create(
        project=project,
        check_key="readme_purpose",
        granted_by=org.ops,
        role=org.role("operations"),
        reason="known gap",
        expires_at=timezone.now() + timedelta(days=1),
    )
    assess_risks()
    reasons = {r["kind"] for r in ProjectRisk.objects.get(project=project).reasons}
    assert reasons == {"evidence_below"}
    Waiver.objects.filter(project=project).update(expires_at=timezone.now() - timedelta(days=1))
    assess_risks()
    reasons = {r["kind"] for r in ProjectRisk.objects.get(project=project).reasons}
    assert reasons == {"waiver_expired", "evidence_below"}
    assert AuditEvent.objects.filter(project=project, kind="project.at_risk").count() == 3


def test_project_page_shows_the_flag_and_the_proposal(client, org, project, repo, scheduled):
    _break(repo)
    scheduled(project)
    risk = ProjectRisk.objects.get(project=project)
    client.force_login(org.researcher)
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert "At risk since" in html and "Required check readme_purpose fails" in html
    assert f"/reviews/{risk.proposed_request_id}/" in html
    commit(repo, {"README.md": README}, "README back")
    scheduled(project)
    assert "At risk since" not in client.get(f"/projects/{project.slug}/").content.decode()
