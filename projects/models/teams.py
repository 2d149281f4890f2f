"""Teams, memberships, the review-role catalog and per-team role grants.

Each team owns two auth groups: its members, and its reviewers (everyone holding
any role in the team). Project object permissions are granted to those groups,
so joining a team or receiving a role is one group membership, not a rewrite of
every project's permission rows.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Team(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    members_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="team_as_members", editable=False
    )
    reviewers_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="team_as_reviewers", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_maintainer = models.BooleanField(
        default=False,
        help_text="Maintainers manage the team's members and role grants (never their own).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class ReviewRole(models.Model):
    """A role a gate can require (research-lead, product, ethics, ...)."""

    key = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class RoleGrant(models.Model):
    """User X holds role R in team T. The holder must be a member of T."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="role_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.ForeignKey(ReviewRole, on_delete=models.PROTECT, related_name="grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user", "role"], name="rolegrant_unique_team_user_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} in {self.team}"
