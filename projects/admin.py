"""Admin for the projects app. Writes go through the services, so the admin keeps
permission rows and the audit log right; levels change only through requests.

What a staff user sees is cut by the permission entry point (``projects_for``);
what the services refuse shows on the form (``projects.admin_base``). The user
and group admins, which protect the team groups, are in ``admin_users``.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.urls import path

from . import (
    admin_users,  # noqa: F401  (registers the user and group admins)
    services,
)
from .admin_base import (
    ReadOnlyAdmin,
    ScopedAdminMixin,
    ServiceFormErrorsMixin,
    refuse_self,
    teams_for,
    visible_chain_keys,
)
from .form_fields import BoundedManyToManyAdminMixin
from .models import (
    AuditChain,
    AuditEvent,
    CardVersion,
    Membership,
    MLTRLCard,
    Project,
    ReviewRole,
    RoleGrant,
    Team,
)
from .permissions import Action, projects_for, user_can

# The team filter lists only teams among the rows shown (which are scoped), not
# every team of the organisation.
TEAMS_SHOWN = ("team", admin.RelatedOnlyFieldListFilter)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TeamScopedAdmin(ServiceFormErrorsMixin, admin.ModelAdmin):
    """Team records: a staff user sees the teams they belong to (``teams_for``)."""

    team_path = "team"

    def get_queryset(self, request):
        visible = teams_for(request.user)
        return super().get_queryset(request).filter(**{f"{self.team_path}__in": visible})

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(f"No {opts.verbose_name} with that id.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = teams_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    """Teams are created through ``team_create``; there is no service to edit one yet,
    so an existing team is read-only here."""

    list_display = ["name", "slug", "member_count"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]
    team_path = "pk"

    @admin.display(description="members")
    def member_count(self, obj: Team) -> int:
        return obj.memberships.count()

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a team's groups carry project permissions and its audit trail

    def save_model(self, request, obj, form, change):
        created = services.team_create(
            slug=obj.slug, name=obj.name, description=obj.description, actor=request.user
        )
        obj.pk = created.pk
        obj.members_group, obj.reviewers_group = created.members_group, created.reviewers_group


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
    """Add and remove members through ``membership_add``/``membership_remove``."""

    list_display = ["user", "team", "is_maintainer", "created_at"]
    list_filter = [TEAMS_SHOWN]
    search_fields = ["user__username", "team__name"]
    list_select_related = ["user", "team"]
    fields = ["team", "user", "is_maintainer"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        refuse_self(request, obj.user, "add yourself to a team")
        created = services.membership_add(team=obj.team, user=obj.user, actor=request.user)
        if obj.is_maintainer:
            services.membership_maintainer_set(
                team=obj.team, user=obj.user, is_maintainer=True, actor=request.user
            )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        refuse_self(request, obj.user, "remove yourself from a team")
        services.membership_remove(team=obj.team, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ReviewRole)
class ReviewRoleAdmin(admin.ModelAdmin):
    """The organisation's role catalog (not a team's record)."""

    list_display = ["key", "name"]


@admin.register(RoleGrant)
class RoleGrantAdmin(TeamScopedAdmin):
    """Grant and revoke roles through ``role_grant``/``role_revoke``; never to oneself."""

    list_display = ["user", "role", "team", "granted_by", "created_at"]
    list_filter = ["role", TEAMS_SHOWN]
    search_fields = ["user__username"]
    list_select_related = ["user", "role", "team", "granted_by"]
    fields = ["team", "user", "role"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        refuse_self(request, obj.user, "grant yourself a role")
        created = services.role_grant(
            team=obj.team, user=obj.user, role=obj.role, actor=request.user
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        refuse_self(request, obj.user, "revoke your own role")
        services.role_revoke(team=obj.team, user=obj.user, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


def _no_object_permission_pages(request, *args, **kwargs):
    raise Http404("Permissions derive from memberships and role grants; see the teams.")


@admin.register(Project)
class ProjectAdmin(
    BoundedManyToManyAdminMixin, ScopedAdminMixin, ServiceFormErrorsMixin, admin.ModelAdmin
):
    """Projects through ``project_create``/``project_update``.

    Not guardian's ``GuardedModelAdmin``: its "Object permissions" pages would
    grant rows outside teams and roles, unaudited. Their URLs answer 404.
    """

    list_display = ["name", "slug", "team", "level", "entry_level", "evidence_level", "status"]
    list_filter = [TEAMS_SHOWN, "level", "status"]
    search_fields = ["name", "slug"]
    list_select_related = ["team"]
    filter_horizontal = ["reviewer_teams", "components"]
    readonly_fields = ["level", "entry_level", "evidence_level", "created_at", "updated_at"]

    def get_urls(self):
        return [
            path("<path:object_id>/permissions/", _no_object_permission_pages),
            path("<path:object_id>/permissions/<path:rest>", _no_object_permission_pages),
            *super().get_urls(),
        ]

    def scope_queryset(self, request, queryset):
        return projects_for(request.user, Action.VIEW, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "team":
            kwargs["queryset"] = teams_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Reviewer teams stay a full list: a project invites teams it is not part
        # of (independent review). Components are cut to visible projects.
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_can(request.user, Action.CHANGE, obj))

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "team", "slug"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # one project_update in save_related, with the relations
        data = form.cleaned_data
        created = services.project_create(
            team=obj.team,
            slug=obj.slug,
            name=obj.name,
            description=obj.description,
            repository_url=obj.repository_url,
            default_branch=obj.default_branch,
            reviewer_teams=data.get("reviewer_teams", []),
            components=data.get("components", []),
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if change:
            relations = {"reviewer_teams", "components"}
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in services.EDITABLE_FIELDS or name in relations
            }
            if fields:  # an unchanged save writes nothing, not even an event
                services.project_update(project=form.instance, actor=request.user, **fields)
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # projects are retired, not deleted: their audit log must stay


@admin.register(MLTRLCard)
class MLTRLCardAdmin(ScopedAdminMixin, ServiceFormErrorsMixin, admin.ModelAdmin):
    list_display = ["project", "updated_at"]
    search_fields = ["project__name"]
    readonly_fields = ["project", "debriefs", "updated_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"  # Django 6's default, chosen now
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_can(request.user, Action.CHANGE, obj.project))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        services.card_update(project=obj.project, actor=request.user, **fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CardVersion)
class CardVersionAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["project", "number", "level", "reason", "created_at"]
    list_filter = ["level"]
    list_select_related = ["project"]


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Project events of visible projects; org events (teams, roles) of visible teams."""

    list_display = ["chain", "seq", "kind", "project", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["chain", "kind"]
    list_select_related = ["project", "actor"]

    def scope_queryset(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        visible = projects_for(request.user, Action.VIEW)
        teams = list(teams_for(request.user).values_list("slug", flat=True))
        return queryset.filter(
            Q(project__in=visible) | Q(project__isnull=True, payload__team__in=teams)
        )


@admin.register(AuditChain)
class AuditChainAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Chain heads of visible projects; the org chain for superusers only."""

    list_display = ["key", "last_seq", "last_hash"]

    def scope_queryset(self, request, queryset):
        if request.user.is_superuser:
            return queryset
        return queryset.filter(key__in=visible_chain_keys(request.user))
