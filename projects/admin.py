"""Admin for the projects app. Writes go through the services, so the admin keeps
permission rows and the audit log right; levels change only through requests."""

from __future__ import annotations

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from . import services
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
from .permissions import Action, projects_for


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are written only by the workflow."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]

    @admin.display(description="members")
    def member_count(self, obj: Team) -> int:
        return obj.memberships.count()

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = services.team_create(
                slug=obj.slug, name=obj.name, description=obj.description, actor=request.user
            )
            obj.pk = created.pk
            obj.members_group, obj.reviewers_group = created.members_group, created.reviewers_group


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "is_maintainer", "created_at"]
    list_filter = ["team"]
    search_fields = ["user__username", "team__name"]
    list_select_related = ["user", "team"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        created = services.membership_add(team=obj.team, user=obj.user, actor=request.user)
        if obj.is_maintainer:
            services.membership_maintainer_set(
                team=obj.team, user=obj.user, is_maintainer=True, actor=request.user
            )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.membership_remove(team=obj.team, user=obj.user, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ReviewRole)
class ReviewRoleAdmin(admin.ModelAdmin):
    list_display = ["key", "name"]


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "team", "granted_by", "created_at"]
    list_filter = ["role", "team"]
    search_fields = ["user__username"]
    list_select_related = ["user", "role", "team", "granted_by"]
    exclude = ["granted_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        created = services.role_grant(
            team=obj.team, user=obj.user, role=obj.role, actor=request.user
        )
        obj.pk = created.pk

    def delete_model(self, request, obj):
        services.role_revoke(team=obj.team, user=obj.user, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Project)
class ProjectAdmin(GuardedModelAdmin):
    list_display = ["name", "slug", "team", "level", "entry_level", "evidence_level", "status"]
    list_filter = ["team", "level", "status"]
    search_fields = ["name", "slug"]
    list_select_related = ["team"]
    filter_horizontal = ["reviewer_teams", "components"]
    readonly_fields = ["level", "entry_level", "evidence_level", "created_at", "updated_at"]

    def get_queryset(self, request):
        return projects_for(request.user, Action.VIEW, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "team", "slug"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.project_create(
                team=obj.team,
                slug=obj.slug,
                name=obj.name,
                description=obj.description,
                repository_url=obj.repository_url,
                default_branch=obj.default_branch,
                actor=request.user,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        fields = {
            f: form.cleaned_data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS
        }
        services.project_update(project=obj, actor=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        project = form.instance
        services.project_update(
            project=project,
            actor=request.user,
            reviewer_teams=form.cleaned_data.get("reviewer_teams", []),
            components=form.cleaned_data.get("components", []),
        )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # projects are retired, not deleted: their audit log must stay


@admin.register(MLTRLCard)
class MLTRLCardAdmin(admin.ModelAdmin):
    list_display = ["project", "updated_at"]
    search_fields = ["project__name"]
    readonly_fields = ["project", "debriefs", "updated_at"]

    def get_queryset(self, request):
        visible = projects_for(request.user, Action.VIEW)
        return super().get_queryset(request).filter(project__in=visible)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        services.card_update(project=obj.project, actor=request.user, **fields)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CardVersion)
class CardVersionAdmin(ReadOnlyAdmin):
    list_display = ["project", "number", "level", "reason", "created_at"]
    list_filter = ["level"]
    list_select_related = ["project"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["chain", "seq", "kind", "project", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["chain", "kind"]
    list_select_related = ["project", "actor"]


@admin.register(AuditChain)
class AuditChainAdmin(ReadOnlyAdmin):
    list_display = ["key", "last_seq", "last_hash"]
