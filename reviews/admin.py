"""Admin views of the review records; their state changes only through the services.

Every list and page is cut by the projects the staff user may see
(``projects.admin_base.ScopedAdminMixin``).
"""

from __future__ import annotations

from django.contrib import admin

from projects.admin_base import ReadOnlyAdmin, ScopedAdminMixin

from .models import Comment, LevelChangeRequest, SignOff, Waiver


class SignOffInline(admin.TabularInline):
    model = SignOff
    extra = 0
    can_delete = False
    fields = [
        "reviewer",
        "role",
        "team",
        "decision",
        "independent",
        "active",
        "stale",
        "commit_sha",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LevelChangeRequest)
class LevelChangeRequestAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["pk", "project", "kind", "from_level", "to_level", "state", "requester"]
    list_filter = ["state", "kind"]
    search_fields = ["project__name"]
    list_select_related = ["project", "requester"]
    inlines = [SignOffInline]


@admin.register(SignOff)
class SignOffAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["request", "reviewer", "role", "team", "decision", "active", "stale"]
    list_filter = ["decision", "active", "stale"]
    list_select_related = ["request__project", "reviewer", "role", "team"]
    project_path = "request__project"


@admin.register(Comment)
class CommentAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["request", "author", "created_at"]
    list_select_related = ["request__project", "author"]
    project_path = "request__project"


@admin.register(Waiver)
class WaiverAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["project", "check_key", "role", "granted_by", "expires_at", "revoked_at"]
    list_filter = ["check_key"]
    list_select_related = ["project", "role", "granted_by"]
