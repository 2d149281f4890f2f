"""``manage.py seed_demo`` builds the promised organisation through the real workflow.

Its evidence is real too: every project links a sample repository under
``MLTRL_GIT_FILE_ROOT`` (a temporary folder here), requests pin real commits of
it, and check results come from real runs of the catalog on those commits.
"""

from __future__ import annotations

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from demo.people import ADMIN_USERNAME, DEMO_PASSWORD, MANAGER_USERNAME, PEOPLE
from demo.stories import STORIES
from gates.checks.base import repository_checks
from gates.models import CheckResult, CheckRun, CheckRunStatus, ExternalCheckResult
from projects.models import AuditEvent, CardVersion, Membership, Project, ProjectStatus, Team
from projects.permissions import projects_for
from reviews.models import Decision, LevelChangeRequest, RequestKind, RequestState, Waiver
from reviews.selectors import request_verdict

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def repos_root(demo_dir) -> Path:
    return (demo_dir / "repos").resolve()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, demo_dir, repos_root):
    """Seed once for the module inside a transaction rolled back at its end.

    Each test's own transaction nests inside it, so tests cannot see each
    other's changes, and the seed (several seconds) runs once. Repositories,
    mirrors and the filesystem broker's folders live in a temporary folder.
    """
    queue = str(demo_dir / "queue")
    fast = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MLTRL_GIT_FILE_ROOT=str(repos_root),
        MLTRL_GIT_MIRROR_DIR=str(demo_dir / "mirrors"),
        MLTRL_RUN_HEARTBEAT_S=600,
        CELERY_BROKER_TRANSPORT_OPTIONS={"data_folder_in": queue, "data_folder_out": queue},
    )
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _history(repo: Path) -> list[str]:
    return _git(repo, "rev-list", "--reverse", "main").split()


def _counts() -> dict[str, int]:
    return {
        "teams": Team.objects.count(),
        "users": get_user_model().objects.count(),
        "projects": Project.objects.count(),
        "requests": LevelChangeRequest.objects.count(),
        "events": AuditEvent.objects.count(),
        "cards": CardVersion.objects.count(),
        "runs": CheckRun.objects.count(),
        "results": CheckResult.objects.count(),
        "reports": ExternalCheckResult.objects.count(),
    }


def test_teams_people_and_projects(seeded):
    assert Team.objects.count() >= 4
    assert {"research", "engineering", "product", "ethics-ops"} <= set(
        Team.objects.values_list("slug", flat=True)
    )
    assert Project.objects.count() == len(STORIES) >= 12
    levels = set(Project.objects.values_list("level", flat=True))
    assert {0, 9} <= levels
    assert len(levels) >= 8
    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    assert admin.is_superuser and admin.is_staff
    for person in PEOPLE:
        user = get_user_model().objects.get(username=person.username)
        assert user.check_password(DEMO_PASSWORD)
        held = set(user.role_grants.values_list("role__key", flat=True))
        assert held == set(person.roles)
    assert Project.objects.filter(status=ProjectStatus.PAUSED).count() == 1
    # one maintainer per team: its lead
    maintainers = dict(
        Membership.objects.filter(is_maintainer=True).values_list("team__slug", "user__username")
    )
    assert maintainers == {
        "research": "maya",
        "language-research": "lena",
        "engineering": "erik",
        "product": "paula",
        "ethics-ops": "ethan",
    }
    for project in Project.objects.all():
        assert {"engineering", "product", "ethics-ops"} <= set(
            project.reviewer_teams.values_list("slug", flat=True)
        )


def test_every_level_change_is_an_approved_request(seeded):
    for project in Project.objects.exclude(level=0):
        changes = AuditEvent.objects.filter(project=project, kind="level.changed")
        approved = LevelChangeRequest.objects.filter(project=project, state="approved")
        assert changes.count() == approved.count() > 0
        assert project.card.debriefs, project.slug


def test_special_cases(seeded):
    switchbacks = LevelChangeRequest.objects.filter(
        kind=RequestKind.SWITCHBACK, state=RequestState.APPROVED
    )
    assert {r.switchback_kind for r in switchbacks} == {"review", "discovery"}
    for switchback in switchbacks:  # ... and the project climbed again afterwards
        assert LevelChangeRequest.objects.filter(
            project=switchback.project, pk__gt=switchback.pk, state=RequestState.APPROVED
        ).exists()

    entry = LevelChangeRequest.objects.get(kind=RequestKind.ENTRY)
    assert (entry.state, entry.to_level, entry.project.entry_level) == ("approved", 4, 4)

    waiting = LevelChangeRequest.objects.get(state=RequestState.OPEN)
    assert waiting.signoffs.filter(decision=Decision.APPROVE).count() >= 1
    assert request_verdict(waiting).missing  # still waiting on a reviewer

    rejected = LevelChangeRequest.objects.get(state=RequestState.REJECTED)
    assert rejected.signoffs.get(decision=Decision.REJECT).comment

    changes = LevelChangeRequest.objects.get(state=RequestState.CHANGES_REQUESTED)
    assert changes.signoffs.get(decision=Decision.REQUEST_CHANGES).tasks

    coupled = Project.objects.filter(components__isnull=False).distinct().get()
    assert all(c.level < coupled.level for c in coupled.components.all())


def test_waiver_covers_a_failing_check(seeded):
    waiver = Waiver.objects.get()
    assert waiver.reason and waiver.expires_at > timezone.now()
    assert waiver.request.state == RequestState.APPROVED
    failing = ExternalCheckResult.objects.get(
        project=waiver.project, commit_sha=waiver.request.commit_sha, check_key=waiver.check_key
    )
    assert failing.outcome == "fail"


def test_permission_rows_follow_the_teams(seeded):
    User = get_user_model()
    rita = User.objects.get(username="rita")
    own = set(projects_for(rita).values_list("team__slug", flat=True))
    assert own == {"research"}
    paula = User.objects.get(username="paula")
    assert projects_for(paula).count() == Project.objects.count()
    manager = User.objects.get(username=MANAGER_USERNAME)
    assert projects_for(manager).count() == Project.objects.count()


def test_admin_lists_the_projects(seeded, client):
    assert client.login(username=ADMIN_USERNAME, password=DEMO_PASSWORD)
    page = client.get("/admin/projects/project/")
    assert page.status_code == 200
    for story in STORIES:
        assert story.name in page.content.decode()
    client.logout()
    assert client.login(username=MANAGER_USERNAME, password=DEMO_PASSWORD)
    page = client.get("/admin/projects/project/")  # the portfolio manager: read-only
    assert page.status_code == 200
    assert STORIES[0].name in page.content.decode()


def test_output_lists_logins_and_audit_verifies(seeded):
    assert f"password for every login: {DEMO_PASSWORD}" in seeded
    for person in PEOPLE:
        assert f"  {person.username} " in seeded
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert "all intact" in out.getvalue()


def test_second_run_changes_nothing(seeded, repos_root):
    before = _counts()
    heads = {p.name: _history(p) for p in repos_root.iterdir()}
    again = _seed()
    assert "already seeded" in again
    assert DEMO_PASSWORD in again
    assert _counts() == before
    assert {p.name: _history(p) for p in repos_root.iterdir()} == heads


# --- evidence: real repositories, commits, runs -------------------------------------


def test_every_project_links_its_repository_under_the_file_root(seeded, repos_root):
    assert str(repos_root) in seeded
    assert sorted(p.name for p in repos_root.iterdir()) == sorted(s.slug for s in STORIES)
    for project in Project.objects.all():
        assert project.repository_url == f"file://{repos_root}/{project.slug}"
        assert project.default_branch == "main"
        repo = repos_root / project.slug
        assert _git(repo, "config", "uploadpack.allowFilter").strip() == "true"
        assert _git(repo, "status", "--porcelain") == ""  # checked out, clean


def test_requests_pin_the_commits_of_their_steps(seeded, repos_root):
    for project in Project.objects.all():
        history = _history(repos_root / project.slug)
        requests = LevelChangeRequest.objects.filter(project=project).order_by("pk")
        pinned = [r.commit_sha for r in requests if r.kind != RequestKind.SWITCHBACK]
        assert all(r.commit_sha == "" for r in requests if r.kind == RequestKind.SWITCHBACK)
        # One commit per level step, in order; later commits only as work in progress.
        assert pinned == history[: len(pinned)], project.slug
        assert len(history) - len(pinned) <= 1, project.slug


def test_check_results_come_from_real_runs(seeded):
    catalog = {c.key for c in repository_checks()}
    assert not CheckRun.objects.filter(check_set="").exists()  # nothing recorded by hand
    for run in CheckRun.objects.filter(status=CheckRunStatus.SUCCEEDED):
        assert set(run.results.values_list("check_key", flat=True)) == catalog
    assert not CheckResult.objects.exclude(check_key__in=catalog).exists()
    external = set(ExternalCheckResult.objects.values_list("check_key", flat=True))
    assert external == {"ci_unit_tests", "coverage", "golden_eval"}
    for request in LevelChangeRequest.objects.exclude(kind=RequestKind.SWITCHBACK):
        run = CheckRun.objects.exclude(status=CheckRunStatus.CANCELLED).get(
            project=request.project, commit_sha=request.commit_sha
        )
        expected = CheckRunStatus.QUEUED if request.state == RequestState.OPEN else "succeeded"
        assert run.status == expected, request
        for signoff in request.signoffs.all():
            assert signoff.commit_sha == request.commit_sha
            assert signoff.check_run_id == (run.pk if run.status == "succeeded" else None)


def test_the_open_request_waits_for_a_worker(seeded):
    waiting = LevelChangeRequest.objects.get(state=RequestState.OPEN)
    run = CheckRun.objects.exclude(status=CheckRunStatus.CANCELLED).get(
        project=waiting.project, commit_sha=waiting.commit_sha
    )
    assert (run.status, run.request_id, run.attempts) == (CheckRunStatus.QUEUED, waiting.pk, 0)
    assert run.head_resolved_at is not None  # its results will set the evidence level
    assert not run.results.exists()
    assert waiting.project.evidence_level is None


def test_changes_requested_on_a_real_failing_check(seeded):
    changes = LevelChangeRequest.objects.get(state=RequestState.CHANGES_REQUESTED)
    result = CheckResult.objects.get(
        run__project=changes.project,
        run__commit_sha=changes.commit_sha,
        run__status=CheckRunStatus.SUCCEEDED,
        check_key="research_requirements",
    )
    assert result.run.check_set
    assert result.outcome == "fail"
    assert "verification and validation" in result.message
    assert result.evidence["shall_statements"] >= 1


def test_evidence_levels_follow_the_repositories(seeded):
    evidence = dict(Project.objects.values_list("slug", "evidence_level"))
    levels = dict(Project.objects.values_list("slug", "level"))
    assert evidence["defect-vision"] == 9
    assert (levels["churn-forecaster"], evidence["churn-forecaster"]) == (7, 6)  # waived
    assert (levels["causal-uplift"], evidence["causal-uplift"]) == (1, 2)  # rejected anyway
    assert evidence["weather-nowcast"] == 0  # only a README draft
    assert evidence["translation-qe"] == 3
    wip = CheckResult.objects.get(
        run__project__slug="translation-qe",
        run__head_resolved_at__isnull=False,
        check_key="pinned_dependencies",
    )
    assert wip.outcome == "fail" and "requirements.txt" in wip.message


def test_monitoring_flags_a_drifted_project_at_risk_from_a_real_scheduled_run(seeded):
    """review-sentiment (level 8) turned prediction logging off after its last review."""
    from reviews.models import ProjectRisk

    project = Project.objects.get(slug="review-sentiment")
    risk = ProjectRisk.objects.get(project=project)
    assert risk.since is not None
    assert risk.run.trigger == "schedule" or risk.run.duplicate_of_id
    checks = {r["check"] for r in risk.reasons if r["kind"] == "check_failing"}
    assert "prediction_logging" in checks
    assert risk.proposed_request.state == RequestState.DRAFT
    assert risk.proposed_request.kind == RequestKind.SWITCHBACK
    assert AuditEvent.objects.filter(project=project, kind="project.at_risk").exists()
    assert ProjectRisk.objects.filter(since__isnull=False).count() == 1


def test_morgan_sees_the_whole_portfolio(seeded, client):
    from portfolio.dashboard import dashboard_tables
    from portfolio.filters import Filters

    morgan = get_user_model().objects.get(username=MANAGER_USERNAME)
    tables = {t.key: t.rows for t in dashboard_tables(morgan, Filters(days=3650))}
    assert sum(r["total"] for r in tables["levels"]) == len(STORIES)
    assert tables["at_risk"][0]["count"] == 1
    assert tables["checks"] and tables["cycle_time"] and tables["switchbacks"]
    client.force_login(morgan)
    assert client.get("/portfolio/?days=3650").status_code == 200
    risky = client.get("/portfolio/projects/?days=3650&at_risk=1").content.decode()
    assert "Multilingual review sentiment" in risky


def test_the_history_spreads_over_months_with_a_valid_audit_chain(seeded):
    """demo.clock: projects created months apart, stays and reviews lasting days."""
    from datetime import timedelta

    from portfolio.dashboard import dashboard_tables
    from portfolio.filters import Filters
    from projects.audit import audit_verify_all

    now = timezone.now()
    created = list(
        AuditEvent.objects.filter(kind="project.created").values_list("created_at", flat=True)
    )
    assert max(now - c for c in created).days >= 180  # the oldest project, months ago
    assert (max(created) - min(created)).days >= 90  # projects started months apart
    assert all(c < now for c in created)
    # each chain's times only move forward, and the chains verify
    for project in Project.objects.all():
        times = list(project.audit_events.order_by("seq").values_list("created_at", flat=True))
        assert times == sorted(times), project.slug
    assert audit_verify_all()[1] == []
    morgan = get_user_model().objects.get(username=MANAGER_USERNAME)
    tables = {t.key: t.rows for t in dashboard_tables(morgan, Filters(days=365))}
    medians = [r["median"] for r in tables["time_in_level"] if r["stays"]]
    assert medians and all(m >= 7 for m in medians)  # weeks at a level, not seconds
    cycle = [r["median"] for r in tables["cycle_time"]]
    assert cycle and all(0.5 <= m <= 30 for m in cycle)  # reviews take days
    trend = tables["trend"]
    assert trend[0] != trend[-1]  # the distribution moved over the twelve weeks
    # the waiver still runs for the days its story gives it
    assert Waiver.objects.get().expires_at > now + timedelta(days=60)
