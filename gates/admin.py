"""Admin for gate policies (each save publishes a new version) and check records.

Gate policies are the organisation's configuration, seen by every staff user who
may; check runs and CI results are cut by the projects the user may see.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from projects.admin_base import ReadOnlyAdmin, ScopedAdminMixin, ServiceFormErrorsMixin
from projects.form_fields import BoundedManyToManyAdminMixin

from .models import (
    CheckResult,
    CheckRun,
    ExternalCheckResult,
    GatePolicy,
    GatePolicySlot,
    GatePolicyVersion,
)
from .policies import policy_publish


class SlotFormSet(BaseInlineFormSet):
    """A policy keeps at least one slot asking for at least one approval."""

    def clean(self) -> None:
        super().clean()
        kept = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not any((data.get("count") or 0) >= 1 for data in kept):
            raise ValidationError(
                "A gate policy needs at least one slot asking for at least one approval."
            )


class SlotInline(BoundedManyToManyAdminMixin, admin.TabularInline):
    model = GatePolicySlot
    formset = SlotFormSet
    extra = 0
    filter_horizontal = ["roles"]


@admin.register(GatePolicy)
class GatePolicyAdmin(BoundedManyToManyAdminMixin, ServiceFormErrorsMixin, admin.ModelAdmin):
    list_display = ["key", "title", "kind", "stale_approvals_on_new_commit", "latest_version"]
    inlines = [SlotInline]
    filter_horizontal = ["waiver_roles"]
    readonly_fields = ["updated_at"]

    @admin.display(description="version")
    def latest_version(self, obj: GatePolicy) -> int | None:
        latest = obj.versions.order_by("-number").first()
        return latest.number if latest else None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        policy_publish(policy=form.instance, actor=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GatePolicyVersion)
class GatePolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["policy", "number", "created_by", "created_at"]
    list_select_related = ["policy", "created_by"]


class CheckResultInline(admin.TabularInline):
    model = CheckResult
    extra = 0
    can_delete = False
    readonly_fields = ["check_key", "outcome", "message", "evidence", "fix"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CheckRun)
class CheckRunAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["pk", "project", "commit_sha", "status", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["project"]
    inlines = [CheckResultInline]


@admin.register(ExternalCheckResult)
class ExternalCheckResultAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["project", "commit_sha", "check_key", "outcome", "created_at"]
    list_filter = ["outcome", "check_key"]
    list_select_related = ["project"]
