"""User and group admins that keep the team groups derived from memberships.

A team's ``team:<slug>:members`` and ``team:<slug>:reviewers`` groups carry its
project permissions; ``membership_add``/``role_grant`` and their inverses are
the only writers (``manage.py teams_check`` reports and repairs drift). So the
user form does not offer them, a save keeps them, and the group admin shows them
read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Q

TEAM_GROUP_PREFIX = "team:"


def team_groups_q() -> Q:
    """Groups owned by a team (as its members or its reviewers group)."""
    return Q(team_as_members__isnull=False) | Q(team_as_reviewers__isnull=False)


def is_team_group(group: Group | None) -> bool:
    return group is not None and Group.objects.filter(team_groups_q(), pk=group.pk).exists()


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class TeamAwareUserAdmin(UserAdmin):
    """The groups field lists only groups that are not a team's; team groups show
    read-only (they follow memberships and role grants) and survive every save."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return [*fieldsets, ("Teams (from memberships and role grants)", {"fields": ["teams"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "teams"]

    @admin.display(description="team groups")
    def teams(self, obj) -> str:
        names = obj.groups.filter(team_groups_q()).values_list("name", flat=True)
        return ", ".join(sorted(names)) or "none"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["queryset"] = Group.objects.exclude(team_groups_q())
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # The form sets the groups to the (non-team) selection; put back the
        # team groups the user had, which only the team services change.
        user = form.instance
        kept = list(user.groups.filter(team_groups_q())) if change else []
        super().save_related(request, form, formsets, change)
        if kept:
            user.groups.add(*kept)


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name.startswith(TEAM_GROUP_PREFIX):
            raise forms.ValidationError(
                f"Group names starting with {TEAM_GROUP_PREFIX!r} belong to teams; "
                "create a team instead."
            )
        return name


@admin.register(Group)
class TeamAwareGroupAdmin(GroupAdmin):
    """Team groups are read-only; other groups are edited as usual."""

    form = GroupForm

    def has_change_permission(self, request, obj=None) -> bool:
        return not is_team_group(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not is_team_group(obj) and super().has_delete_permission(request, obj)
