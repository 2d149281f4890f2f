"""The permission matrix of docs/workflow.md, generated from a table and checked end to end.

Three teams, built through the services: ``alpha`` owns project A, ``beta``
reviews A and owns project B, ``gamma`` touches neither. A subject is a kind of
holder (a review role, a member without a role, or a special user) standing in
a relation to project A; its relation to B follows from the team layout. Every
(subject, action) pair is asserted through ``user_can``, ``projects_for`` and
``project_for`` (404 when not visible, 403 when visible but not allowed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from projects import services
from projects.models import AuditEvent, Project, ReviewRole, Team
from projects.permissions import DENIED, Action, project_for, projects_for, user_can
from reviews import services as reviews_services
from reviews.models import LevelChangeRequest, SignOff, Waiver
from reviews.waivers import waiver_grant
from tests.org import admin_actor, make_user

V, C, R, S, W = Action  # VIEW, CHANGE, REQUEST_LEVEL_CHANGE, SIGN_OFF, WAIVE
NOTHING: frozenset[Action] = frozenset()
EVERYTHING = frozenset(Action)

OWNING, REVIEWING, UNRELATED, NO_TEAM = "owning", "reviewing", "unrelated", "no team"
ROLE_KEYS = ("research-lead", "research-peer", "engineering", "product", "ethics", "operations")
MEMBER = "member without role"
MANAGER, LONER, SUPERUSER = "manager with global view", "no team", "superuser"
INACTIVE, ANONYMOUS = "inactive user", "anonymous"

# The documented design: what membership of a team in a relation grants ...
MEMBER_GRANTS = {OWNING: {V, C, R}, REVIEWING: {V}, UNRELATED: set(), NO_TEAM: set()}
# ... and what holding any review role in that team adds (the team's reviewers group).
ROLE_GRANTS = {OWNING: {V, S, W}, REVIEWING: {V, S, W}, UNRELATED: set(), NO_TEAM: set()}

EXPECTED: dict[tuple[str, str], frozenset[Action]] = {
    **{
        (role, rel): frozenset(MEMBER_GRANTS[rel] | ROLE_GRANTS[rel])
        for role in ROLE_KEYS
        for rel in (OWNING, REVIEWING, UNRELATED)
    },
    **{(MEMBER, rel): frozenset(MEMBER_GRANTS[rel]) for rel in (OWNING, REVIEWING, UNRELATED)},
    (MANAGER, NO_TEAM): frozenset({V}),
    (LONER, NO_TEAM): NOTHING,
    (SUPERUSER, NO_TEAM): EVERYTHING,
    (INACTIVE, OWNING): NOTHING,  # a research-lead of the owning team, deactivated
    (ANONYMOUS, NO_TEAM): NOTHING,
}
# The same subject's relation to project B (owned by beta, reviewed by nobody).
RELATION_TO_B = {OWNING: UNRELATED, REVIEWING: OWNING, UNRELATED: UNRELATED, NO_TEAM: NO_TEAM}
TEAM_FOR = {OWNING: "alpha", REVIEWING: "beta", UNRELATED: "gamma"}

FORBIDDEN_MESSAGE = {
    C: DENIED[C],
    R: DENIED[R],
    S: DENIED[S],
    W: DENIED[W],
}


def expected(holder: str, relation: str) -> frozenset[Action]:
    """The table's answer; a special user has one row, whatever the project."""
    if holder in (MANAGER, LONER, SUPERUSER, INACTIVE, ANONYMOUS):
        return next(allowed for (who, _), allowed in EXPECTED.items() if who == holder)
    return EXPECTED[(holder, relation)]


MATRIX = [
    pytest.param(holder, relation, action, id=f"{holder}-{relation}-{action.name}")
    for (holder, relation) in EXPECTED
    for action in Action
]


@dataclass
class World:
    teams: dict[str, Team]
    a: Project
    b: Project

    def role(self, key: str) -> ReviewRole:
        return ReviewRole.objects.get(key=key)

    def member(self, username: str, team: str, *roles: str):
        user = make_user(username)
        services.membership_add(team=self.teams[team], user=user, actor=admin_actor())
        for key in roles:
            services.role_grant(
                team=self.teams[team], user=user, role=self.role(key), actor=admin_actor()
            )
        return user

    def subject(self, holder: str, relation: str):
        if holder == ANONYMOUS:
            return AnonymousUser()
        if holder == SUPERUSER:
            return get_user_model().objects.create_superuser("root", password="pw")
        if holder == LONER:
            return make_user("loner")
        if holder == MANAGER:
            manager = make_user("manager")
            manager.user_permissions.add(
                Permission.objects.get(content_type__app_label="projects", codename="view_project")
            )
            return get_user_model().objects.get(pk=manager.pk)  # no stale permission cache
        if holder == INACTIVE:
            user = self.member("inactive", "alpha", "research-lead")
            user.is_active = False
            user.save(update_fields=["is_active"])
            return user
        if holder == MEMBER:
            return self.member("plain", TEAM_FOR[relation])
        return self.member(f"holder-{holder}", TEAM_FOR[relation], holder)


@pytest.fixture
def world(db) -> World:
    teams = {
        s: services.team_create(slug=s, name=s.title(), actor=admin_actor())
        for s in ("alpha", "beta", "gamma")
    }
    a = services.project_create(
        team=teams["alpha"],
        slug="a",
        name="Project A",
        reviewer_teams=[teams["beta"]],
        actor=admin_actor(),
    )
    b = services.project_create(team=teams["beta"], slug="b", name="Project B", actor=admin_actor())
    return World(teams=teams, a=a, b=b)


def test_table_covers_every_role_and_relation():
    """The table is the design: 6 roles and a plain member in 3 relations, 5 special users."""
    assert len(EXPECTED) == 7 * 3 + 5
    assert EXPECTED[("product", REVIEWING)] == {V, S, W}
    assert EXPECTED[(MEMBER, OWNING)] == {V, C, R}
    assert EXPECTED[("research-lead", OWNING)] == EVERYTHING


@pytest.mark.parametrize(("holder", "relation", "action"), MATRIX)
def test_user_can_and_projects_for_follow_the_table(world, holder, relation, action):
    user = world.subject(holder, relation)
    on_a = action in expected(holder, relation)
    on_b = action in expected(holder, RELATION_TO_B[relation])

    assert user_can(user, action, world.a) is on_a
    assert user_can(user, action, world.b) is on_b
    assert set(projects_for(user, action)) == {
        p for p, ok in ((world.a, on_a), (world.b, on_b)) if ok
    }


@pytest.mark.parametrize(("holder", "relation", "action"), MATRIX)
def test_project_for_answers_404_when_hidden_and_403_when_forbidden(
    world, holder, relation, action
):
    user = world.subject(holder, relation)
    allowed = expected(holder, relation)

    if V not in allowed:
        with pytest.raises(Http404, match=r"^No such project\.$"):
            project_for(user, action, slug="a")
    elif action not in allowed:
        with pytest.raises(PermissionDenied) as denied:
            project_for(user, action, slug="a")
        assert str(denied.value) == FORBIDDEN_MESSAGE[action]
    else:
        assert project_for(user, action, slug="a") == world.a


def test_project_for_unknown_slug_is_404_even_for_superuser(world):
    root = world.subject(SUPERUSER, NO_TEAM)
    with pytest.raises(Http404):
        project_for(root, Action.VIEW, slug="does-not-exist")


def test_global_model_permissions_widen_viewing_only(world):
    boss = make_user("boss")
    boss.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="projects", codename__in=[a.value for a in Action]
        )
    )
    boss = get_user_model().objects.get(pk=boss.pk)
    assert boss.has_perm("projects.sign_off")  # Django says yes globally ...
    assert allowed_on(boss, world.a) == {V}  # ... the entry point grants only viewing
    assert set(projects_for(boss, S)) == set()


# --- grants change: the permissions follow ----------------------------------------


def allowed_on(user, project: Project) -> set[Action]:
    return {action for action in Action if user_can(user, action, project)}


def test_role_revoke_takes_sign_off_and_waive_away(world):
    lead = world.member("lead", "alpha", "research-lead")
    assert allowed_on(lead, world.a) == EVERYTHING

    services.role_revoke(
        team=world.teams["alpha"], user=lead, role=world.role("research-lead"), actor=admin_actor()
    )

    assert allowed_on(lead, world.a) == {V, C, R}
    assert not lead.groups.filter(pk=world.teams["alpha"].reviewers_group_id).exists()


def test_role_revoke_keeps_reviewer_rights_while_another_role_is_held(world):
    both = world.member("both", "beta", "product", "engineering")
    services.role_revoke(
        team=world.teams["beta"], user=both, role=world.role("product"), actor=admin_actor()
    )
    assert allowed_on(both, world.a) == {V, S, W}

    services.role_revoke(
        team=world.teams["beta"], user=both, role=world.role("engineering"), actor=admin_actor()
    )
    assert allowed_on(both, world.a) == {V}


def test_membership_remove_drops_the_members_grants_and_every_permission(world):
    lead = world.member("lead", "alpha", "research-lead", "research-peer")

    services.membership_remove(team=world.teams["alpha"], user=lead, actor=admin_actor())

    assert allowed_on(lead, world.a) == set()
    assert not lead.role_grants.exists()
    assert not lead.groups.exists()
    # Adding them back restores membership rights only: roles are not resurrected.
    services.membership_add(team=world.teams["alpha"], user=lead, actor=admin_actor())
    assert allowed_on(lead, world.a) == {V, C, R}


def test_project_update_reviewer_teams_adds_and_removes_team_permissions(world):
    beta_member = world.member("beta-member", "beta")
    beta_reviewer = world.member("beta-reviewer", "beta", "product")
    gamma_member = world.member("gamma-member", "gamma")
    gamma_reviewer = world.member("gamma-reviewer", "gamma", "ethics")

    services.project_update(
        project=world.a, reviewer_teams=[world.teams["gamma"]], actor=admin_actor()
    )

    assert allowed_on(gamma_member, world.a) == {V}
    assert allowed_on(gamma_reviewer, world.a) == {V, S, W}
    assert allowed_on(beta_member, world.a) == set()
    assert allowed_on(beta_reviewer, world.a) == set()
    # Beta still owns B: losing the review of A leaves its own project alone.
    assert allowed_on(beta_reviewer, world.b) == EVERYTHING

    services.project_update(project=world.a, reviewer_teams=[], actor=admin_actor())

    assert allowed_on(gamma_member, world.a) == set()
    assert allowed_on(gamma_reviewer, world.a) == set()


def test_role_grant_for_a_non_member_is_refused_with_the_message(world):
    stranger = make_user("stranger")
    with pytest.raises(ValidationError) as refused:
        services.role_grant(
            team=world.teams["alpha"],
            user=stranger,
            role=world.role("product"),
            actor=admin_actor(),
        )
    assert refused.value.messages == [
        "stranger is not a member of Alpha; add them to the team first."
    ]
    assert not stranger.role_grants.exists()
    assert allowed_on(stranger, world.a) == set()


# --- the services refuse users without the permission ------------------------------


@pytest.fixture
def open_request(world):
    """An advance 0 -> 1 of project A opened by a plain member of the owning team."""
    requester = world.member("requester", "alpha")
    return reviews_services.request_open(
        project=world.a, actor=requester, kind="advance", to_level=1
    )


@pytest.mark.parametrize(
    ("team", "roles"),
    [("alpha", ("research-lead",)), ("beta", ()), ("beta", ("product",)), ("gamma", ())],
    ids=["owning-lead", "reviewing-member", "reviewing-product", "unrelated-member"],
)
def test_request_open_refuses_users_who_may_not_request(world, team, roles):
    # The owning lead *may* request; the others may not. Run both sides of the rule.
    user = world.member("asker", team, *roles)
    if team == "alpha":
        request = reviews_services.request_open(
            project=world.a, actor=user, kind="advance", to_level=1
        )
        assert request.requester == user
        return
    with pytest.raises(PermissionDenied, match=re.escape(DENIED[R])):
        reviews_services.request_open(project=world.a, actor=user, kind="advance", to_level=1)
    assert not LevelChangeRequest.objects.filter(project=world.a).exists()


@pytest.mark.parametrize(
    ("team", "roles"),
    [("alpha", ()), ("beta", ()), ("gamma", ("research-lead",))],
    ids=["owning-member", "reviewing-member", "unrelated-lead"],
)
def test_signoff_record_refuses_users_without_sign_off(world, open_request, team, roles):
    user = world.member("signer", team, *roles)
    events_before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match=re.escape(DENIED[S])):
        reviews_services.signoff_record(level_request=open_request, actor=user, decision="approve")
    assert not SignOff.objects.filter(request=open_request).exists()
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize("holder", [MANAGER, ANONYMOUS, INACTIVE])
def test_signoff_record_refuses_manager_anonymous_and_inactive(world, open_request, holder):
    user = world.subject(holder, OWNING)
    with pytest.raises(PermissionDenied, match=re.escape(DENIED[S])):
        reviews_services.signoff_record(level_request=open_request, actor=user, decision="approve")


def test_signoff_record_accepts_the_owning_lead(world, open_request):
    lead = world.member("lead", "alpha", "research-lead")
    signoff = reviews_services.signoff_record(
        level_request=open_request, actor=lead, decision="approve"
    )
    assert signoff.reviewer == lead
    assert signoff.role.key == "research-lead"


@pytest.mark.parametrize(
    ("team", "roles", "message"),
    [
        ("alpha", (), DENIED[Action.WAIVE]),
        ("beta", (), DENIED[Action.WAIVE]),
        ("gamma", ("research-lead",), DENIED[Action.WAIVE]),
        # Holding WAIVE is not enough: the gate's policy names who waives (0->1: research-lead).
        ("beta", ("product",), "Waivers at this gate can be granted by: research-lead."),
    ],
    ids=["owning-member", "reviewing-member", "unrelated-lead", "reviewing-product"],
)
def test_waiver_grant_refuses_users_without_the_right(world, open_request, team, roles, message):
    user = world.member("waiver", team, *roles)
    with pytest.raises(PermissionDenied) as denied:
        waiver_grant(
            project=world.a,
            check_key="readme_purpose",
            actor=user,
            reason="not yet",
            expires_at=timezone.now() + timedelta(days=7),
        )
    assert str(denied.value) == message
    assert not Waiver.objects.filter(project=world.a).exists()


def test_waiver_grant_accepts_the_owning_lead(world, open_request):
    lead = world.member("lead", "alpha", "research-lead")
    waiver = waiver_grant(
        project=world.a,
        check_key="readme_purpose",
        actor=lead,
        reason="README arrives next sprint",
        expires_at=timezone.now() + timedelta(days=7),
    )
    assert waiver.request == open_request
    assert waiver.role.key == "research-lead"


# --- query counts -------------------------------------------------------------------


@pytest.mark.parametrize("extra_projects", [0, 12])
@pytest.mark.parametrize(
    ("holder", "relation"),
    [("research-lead", OWNING), (MEMBER, REVIEWING), (MANAGER, NO_TEAM), (SUPERUSER, NO_TEAM)],
)
@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_projects_for_list_is_one_query_whatever_the_number_of_projects(
    world, django_assert_num_queries, extra_projects, holder, relation, action
):
    for n in range(extra_projects):
        services.project_create(
            team=world.teams["alpha"],
            slug=f"x{n}",
            name=f"X {n}",
            reviewer_teams=[world.teams["beta"]],
            actor=admin_actor(),
        )
    user = world.subject(holder, relation)
    queryset = projects_for(user, action)  # may read the user's global permissions, once
    # 1. SELECT the projects WHERE EXISTS (a user object-permission row for this action)
    #    OR EXISTS (a group object-permission row of one of the user's groups); plain
    #    SELECT for a superuser or a global viewer.
    with django_assert_num_queries(1):
        rows = list(queryset)
    like_a = 1 + extra_projects  # the extra projects are owned and reviewed like A
    want = like_a * (action in expected(holder, relation)) + (
        action in expected(holder, RELATION_TO_B[relation])
    )
    assert len(rows) == want
    with django_assert_num_queries(1):  # EXISTS over the same filter, for one project
        user_can(user, action, world.b)


def test_projects_for_reads_global_permissions_once_per_user_object(
    world, django_assert_num_queries
):
    lead = world.member("lead", "alpha", "research-lead")
    lead = get_user_model().objects.get(pk=lead.pk)  # fresh object: nothing cached
    # 1. the user's own permissions, 2. the permissions of the user's groups
    #    (Django's ModelBackend, for the global view_project a manager may hold)
    with django_assert_num_queries(2):
        projects_for(lead, Action.VIEW)
    with django_assert_num_queries(0):  # cached on the user object
        projects_for(lead, Action.VIEW)
    with django_assert_num_queries(0):  # only VIEW can be widened globally
        projects_for(lead, Action.SIGN_OFF)
