"""``manage.py seed_demo`` builds the promised organisation through the real workflow."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from demo.people import ADMIN_USERNAME, DEMO_PASSWORD, MANAGER_USERNAME, PEOPLE
from demo.stories import STORIES
from gates.models import ExternalCheckResult
from projects.models import AuditEvent, CardVersion, Project, ProjectStatus, Team
from projects.permissions import projects_for
from reviews.models import Decision, LevelChangeRequest, RequestKind, RequestState, Waiver
from reviews.selectors import request_verdict

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction rolled back at its end.

    Each test's own transaction nests inside it, so tests cannot see each
    other's changes, and the seed (several seconds) runs once.
    """
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        yield _seed()
        transaction.set_rollback(True)


def _counts() -> dict[str, int]:
    return {
        "teams": Team.objects.count(),
        "users": get_user_model().objects.count(),
        "projects": Project.objects.count(),
        "requests": LevelChangeRequest.objects.count(),
        "events": AuditEvent.objects.count(),
        "cards": CardVersion.objects.count(),
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


def test_second_run_changes_nothing(seeded):
    before = _counts()
    again = _seed()
    assert "already seeded" in again
    assert DEMO_PASSWORD in again
    assert _counts() == before
