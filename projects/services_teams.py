"""Write services of teams: creating them, memberships, maintainers and review roles.

Like every service (``projects.services``): a required ``actor``, one
transaction, the team locked first, the permission checked through
``projects.permissions``, an audit event in the same transaction. Nobody acts
on themselves here (adds, removes or promotes themselves, grants or revokes
their own roles), and the last maintainer does not step down. The reviewers
group that carries sign-off and waiver rights follows the role grants.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from .audit import audit_record
from .models import Membership, ReviewRole, RoleGrant, Team
from .permissions import require_admin, require_team_manager
from .signals import role_revoked


@transaction.atomic
def team_create(*, slug: str, name: str, description: str = "", actor: Any) -> Team:
    """Create a team and its two groups (administrators only); the slug is validated first."""
    require_admin(actor, "create teams")
    team = Team(slug=slug, name=name, description=description)
    # Validate before the group names are built from the slug.
    team.full_clean(exclude=["members_group", "reviewers_group"])
    team.members_group = Group.objects.create(name=f"team:{slug}:members")
    team.reviewers_group = Group.objects.create(name=f"team:{slug}:reviewers")
    team.save()
    audit_record(kind="team.created", actor=actor, payload={"team": slug, "name": name})
    return team


def _lock_team(team: Team) -> Team:
    return Team.objects.select_for_update().get(pk=team.pk)


def _not_oneself(actor: Any, user: Any, what: str) -> None:
    if getattr(actor, "pk", None) == user.pk:
        raise PermissionDenied(
            f"Nobody can {what} themselves; ask a maintainer or an administrator."
        )


@transaction.atomic
def membership_add(*, team: Team, user: Any, actor: Any) -> Membership:
    """Add ``user`` to ``team`` (its maintainers or an administrator; never oneself)."""
    team = _lock_team(team)
    require_team_manager(actor, team)
    _not_oneself(actor, user, "add")
    membership, created = Membership.objects.get_or_create(team=team, user=user)
    if created:
        user.groups.add(team.members_group)
        audit_record(
            kind="membership.added",
            actor=actor,
            payload={"team": team.slug, "user": user.get_username()},
        )
    return membership


@transaction.atomic
def membership_maintainer_set(
    *, team: Team, user: Any, is_maintainer: bool, actor: Any
) -> Membership:
    """Make a member a maintainer of the team, or stop; nobody promotes themselves."""
    team = _lock_team(team)
    require_team_manager(actor, team)
    if is_maintainer:
        _not_oneself(actor, user, "make a maintainer of")
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    if membership is None:
        raise ValidationError(
            f"{user.get_username()} is not a member of {team.name}; add them to the team first."
        )
    if membership.is_maintainer == is_maintainer:
        return membership
    if not is_maintainer and getattr(actor, "pk", None) == user.pk:
        others = Membership.objects.filter(team=team, is_maintainer=True).exclude(user=user)
        if not others.exists():
            raise ValidationError(
                f"You are the last maintainer of {team.name}; make another member a "
                "maintainer before stepping down."
            )
    membership.is_maintainer = is_maintainer
    membership.save(update_fields=["is_maintainer"])
    audit_record(
        kind="membership.maintainer_set",
        actor=actor,
        payload={
            "team": team.slug,
            "user": user.get_username(),
            "is_maintainer": is_maintainer,
        },
    )
    return membership


@transaction.atomic
def membership_remove(*, team: Team, user: Any, actor: Any) -> None:
    """Remove a member and every role they held in that team (maintainers, administrators).

    Never oneself: a maintainer who left on their own could leave the team with
    nobody to manage it. Removing someone who is not a member is refused in words.
    """
    team = _lock_team(team)
    require_team_manager(actor, team)
    _not_oneself(actor, user, "remove")
    deleted, _ = Membership.objects.filter(team=team, user=user).delete()
    if not deleted:
        raise ValidationError(
            f"{user.get_username()} is not a member of {team.name}; there is nobody to remove."
        )
    for grant in RoleGrant.objects.filter(team=team, user=user).select_related("role"):
        _role_revoke(grant, actor)
    user.groups.remove(team.members_group)
    audit_record(
        kind="membership.removed",
        actor=actor,
        payload={"team": team.slug, "user": user.get_username()},
    )


@transaction.atomic
def role_grant(*, team: Team, user: Any, role: ReviewRole, actor: Any) -> RoleGrant:
    """Give ``user`` the review role ``role`` in ``team``; the user must be a member.

    Granted by the team's maintainers or an administrator, never to oneself.
    """
    team = _lock_team(team)
    require_team_manager(actor, team)
    _not_oneself(actor, user, "grant a role to")
    if not Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError(
            f"{user.get_username()} is not a member of {team.name}; add them to the team first."
        )
    grant, created = RoleGrant.objects.get_or_create(
        team=team, user=user, role=role, defaults={"granted_by": actor}
    )
    if created:
        user.groups.add(team.reviewers_group)
        audit_record(
            kind="role.granted",
            actor=actor,
            payload={"team": team.slug, "user": user.get_username(), "role": role.key},
        )
    return grant


@transaction.atomic
def role_revoke(*, team: Team, user: Any, role: ReviewRole, actor: Any) -> None:
    """Take a role back (the team's maintainers or an administrator; never from oneself).

    Revoking a role the user does not hold in the team is refused in words.
    """
    team = _lock_team(team)
    require_team_manager(actor, team)
    _not_oneself(actor, user, "revoke a role from")
    grant = RoleGrant.objects.select_for_update().filter(team=team, user=user, role=role).first()
    if grant is None:
        raise ValidationError(
            f"{user.get_username()} does not hold the role {role.key} in {team.name}; "
            "there is nothing to revoke."
        )
    _role_revoke(grant, actor)


def _role_revoke(grant: RoleGrant, actor: Any) -> None:
    team, user = grant.team, grant.user
    grant.delete()
    if not RoleGrant.objects.filter(team=team, user=user).exists():
        user.groups.remove(team.reviewers_group)
    audit_record(
        kind="role.revoked",
        actor=actor,
        payload={"team": team.slug, "user": user.get_username(), "role": grant.role.key},
    )
    user_id = user.pk
    # robust: a receiver's failure is logged, never the revocation's (it has committed).
    transaction.on_commit(lambda: role_revoked.send(sender=RoleGrant, user_id=user_id), robust=True)
