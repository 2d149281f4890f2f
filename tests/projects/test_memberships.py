"""Team maintainers manage memberships and role grants; nobody elevates themselves (issue 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects import services
from projects.models import AuditEvent, Membership, ReviewRole, RoleGrant
from tests.org import admin_actor, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def research(org):
    team = org.teams["research"]
    services.membership_maintainer_set(
        team=team, user=org.lead, is_maintainer=True, actor=admin_actor()
    )
    return team


def _role(key: str) -> ReviewRole:
    return ReviewRole.objects.get(key=key)


def test_a_maintainer_adds_members_and_grants_roles_on_the_record(org, research):
    newcomer = make_user("newcomer")
    services.membership_add(team=research, user=newcomer, actor=org.lead)
    grant = services.role_grant(
        team=research, user=newcomer, role=_role("research-peer"), actor=org.lead
    )
    assert grant.granted_by == org.lead
    kinds = list(
        AuditEvent.objects.filter(actor=org.lead).order_by("seq").values_list("kind", flat=True)
    )
    assert kinds == ["membership.added", "role.granted"]


def test_a_maintainer_of_another_team_is_refused(org, research):
    services.membership_maintainer_set(
        team=org.teams["engineering"], user=org.eng, is_maintainer=True, actor=admin_actor()
    )
    with pytest.raises(PermissionDenied, match="Only a maintainer of Research"):
        services.membership_add(team=research, user=make_user("newcomer"), actor=org.eng)
    with pytest.raises(PermissionDenied, match="Only a maintainer of Research"):
        services.role_grant(team=research, user=org.researcher, role=_role("ethics"), actor=org.eng)


@pytest.mark.parametrize("who", ["researcher", "peer"])
def test_a_plain_member_or_role_holder_cannot_manage(org, research, who):
    with pytest.raises(PermissionDenied):
        services.role_grant(
            team=research, user=org.researcher, role=_role("research-lead"), actor=org.users[who]
        )
    with pytest.raises(PermissionDenied):
        services.membership_remove(team=research, user=org.peer, actor=org.users[who])
    assert RoleGrant.objects.filter(team=research, user=org.peer).exists()


def test_nobody_grants_a_role_to_themselves_not_even_a_maintainer_or_admin(org, research):
    with pytest.raises(PermissionDenied, match="Nobody can grant a role to themselves"):
        services.role_grant(team=research, user=org.lead, role=_role("ethics"), actor=org.lead)
    admin = admin_actor()
    with pytest.raises(PermissionDenied, match="Nobody can add themselves"):
        services.membership_add(team=research, user=admin, actor=admin)
    assert not RoleGrant.objects.filter(user=org.lead, role__key="ethics").exists()


def test_nobody_makes_themselves_maintainer(org, research):
    admin = admin_actor()  # may manage every team, but not promote themselves
    services.membership_add(team=research, user=admin, actor=org.lead)
    with pytest.raises(PermissionDenied, match="Nobody can make a maintainer of themselves"):
        services.membership_maintainer_set(
            team=research, user=admin, is_maintainer=True, actor=admin
        )
    with pytest.raises(PermissionDenied, match="Only a maintainer of Research"):
        services.membership_maintainer_set(
            team=research, user=org.peer, is_maintainer=True, actor=org.peer
        )
    # the last maintainer may not step down (the team would have nobody to manage it)
    with pytest.raises(ValidationError, match="You are the last maintainer of Research"):
        services.membership_maintainer_set(
            team=research, user=org.lead, is_maintainer=False, actor=org.lead
        )
    assert Membership.objects.get(team=research, user=org.lead).is_maintainer
    # once another member is a maintainer, they may
    services.membership_maintainer_set(
        team=research, user=org.peer, is_maintainer=True, actor=org.lead
    )
    services.membership_maintainer_set(
        team=research, user=org.lead, is_maintainer=False, actor=org.lead
    )
    assert not Membership.objects.get(team=research, user=org.lead).is_maintainer


def test_maintainer_flag_is_audited_and_needs_a_member(org, research):
    event = AuditEvent.objects.filter(kind="membership.maintainer_set").get()
    assert event.payload == {"team": "research", "user": "lead", "is_maintainer": True}
    with pytest.raises(ValidationError, match="outsider is not a member of Research"):
        services.membership_maintainer_set(
            team=research, user=org.outsider, is_maintainer=True, actor=org.lead
        )


def test_a_maintainer_removes_a_member_and_their_roles(org, research):
    services.membership_remove(team=research, user=org.peer, actor=org.lead)
    assert not Membership.objects.filter(team=research, user=org.peer).exists()
    assert not RoleGrant.objects.filter(team=research, user=org.peer).exists()
    kinds = set(AuditEvent.objects.filter(actor=org.lead).values_list("kind", flat=True))
    assert kinds == {"role.revoked", "membership.removed"}


def test_a_maintainer_cannot_remove_themselves_or_revoke_their_own_role(org, research):
    """Leaving on one's own could leave the team with no maintainer: someone else does it."""
    with pytest.raises(PermissionDenied, match="Nobody can remove themselves"):
        services.membership_remove(team=research, user=org.lead, actor=org.lead)
    with pytest.raises(PermissionDenied, match="Nobody can revoke a role from themselves"):
        services.role_revoke(
            team=research, user=org.lead, role=_role("research-lead"), actor=org.lead
        )
    assert Membership.objects.get(team=research, user=org.lead).is_maintainer
    assert RoleGrant.objects.filter(team=research, user=org.lead).exists()
    assert not AuditEvent.objects.filter(kind__in=["membership.removed", "role.revoked"]).exists()


def test_an_administrator_removes_and_revokes_others_but_not_themselves(org, research):
    admin = admin_actor()
    services.membership_add(team=research, user=admin, actor=org.lead)
    with pytest.raises(PermissionDenied, match="Nobody can remove themselves"):
        services.membership_remove(team=research, user=admin, actor=admin)
    services.role_revoke(team=research, user=org.lead, role=_role("research-lead"), actor=admin)
    services.membership_remove(team=research, user=org.lead, actor=admin)
    assert not Membership.objects.filter(team=research, user=org.lead).exists()
    assert Membership.objects.filter(team=research, user=admin).exists()


def test_revoking_a_role_not_held_or_removing_a_non_member_is_refused_in_words(org, research):
    with pytest.raises(ValidationError, match="peer does not hold the role ethics in Research"):
        services.role_revoke(team=research, user=org.peer, role=_role("ethics"), actor=org.lead)
    with pytest.raises(ValidationError, match="outsider is not a member of Research"):
        services.membership_remove(team=research, user=org.outsider, actor=org.lead)
    assert not AuditEvent.objects.filter(kind__in=["membership.removed", "role.revoked"]).exists()
