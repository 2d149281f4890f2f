"""Viewing is answered from teams; it must agree with the guardian rows derived from them.

``projects_for(user, Action.VIEW)`` filters on the user's teams (so the project
list can stop after one page, docs/performance.md), while every other action
reads the ``view_project``-style rows ``_project_permissions_sync`` writes. This
checks the two answers are the same set for every user and project while teams,
reviewer teams, memberships and roles change through the services.
"""

from __future__ import annotations

from projects import services
from projects.models import Project, ProjectGroupObjectPermission, ReviewRole
from projects.permissions import Action, projects_for
from tests.org import admin_actor, build_org, make_user


def _by_rows(user) -> set[int]:
    """Projects a ``view_project`` row grants to one of the user's groups."""
    return set(
        ProjectGroupObjectPermission.objects.filter(
            group__user=user, permission__codename="view_project"
        ).values_list("content_object_id", flat=True)
    )


def _assert_agree(org) -> None:
    for user in org.users.values():
        if user.is_superuser or user.has_perm("projects.view_project"):
            continue
        by_team = set(projects_for(user, Action.VIEW).values_list("pk", flat=True))
        assert by_team == _by_rows(user), user.username


def test_view_by_team_agrees_with_the_permission_rows(db):
    org = build_org()
    admin = admin_actor()
    teams = org.teams
    gamma = services.team_create(slug="gamma", name="Gamma", actor=admin)
    org.users["stranger"] = stranger = make_user("stranger")
    services.membership_add(team=gamma, user=stranger, actor=admin)
    services.project_create(team=gamma, slug="secret", name="Secret", actor=stranger)
    solo = services.project_create(
        team=teams["product"], slug="solo", name="Solo", actor=admin, reviewer_teams=[]
    )
    shared = services.project_create(
        team=teams["engineering"],
        slug="shared",
        name="Shared",
        actor=admin,
        reviewer_teams=[gamma],
    )
    _assert_agree(org)
    assert set(projects_for(stranger).values_list("slug", flat=True)) == {"secret", "shared"}

    # A role in a team one is a member of (the reviewers group), then membership gone.
    services.role_grant(
        team=gamma, user=stranger, role=ReviewRole.objects.get(key="ethics"), actor=admin
    )
    _assert_agree(org)
    services.project_update(project=shared, reviewer_teams=[teams["research"]], actor=admin)
    services.project_update(project=solo, reviewer_teams=[gamma], actor=admin)
    _assert_agree(org)
    assert set(projects_for(stranger).values_list("slug", flat=True)) == {"secret", "solo"}
    assert "shared" in set(projects_for(org.researcher).values_list("slug", flat=True))
    services.membership_remove(team=gamma, user=stranger, actor=admin)
    _assert_agree(org)
    assert not projects_for(stranger).exists()
    assert Project.objects.filter(slug="secret").exists()


def test_view_by_team_ignores_inactive_and_teamless_users(db):
    org = build_org()
    org.researcher.is_active = False
    org.researcher.save()
    assert not projects_for(org.researcher).exists()
    assert not projects_for(org.outsider).exists()
    assert projects_for(org.manager).count() == Project.objects.count()
