"""Shared pieces of every admin: scoping through the permission entry point, and
service refusals shown on the form.

The admin is a client of the services (docs/architecture.md, "What the admin can
and cannot do"): what a staff user sees is cut by ``projects_for`` like any page,
and a write the service refuses comes back as a form error, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router, transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, HttpRequest, HttpResponseRedirect

from .models import Team
from .permissions import Action, projects_for

# Set on the request once the admin has validated the form and starts saving:
# only refusals raised from then on are the service's (the admin's own
# permission checks before that must still answer 403).
_SAVING = "_mltrl_admin_saving"
_REFUSAL = "_mltrl_admin_refusal"


def teams_for(user: Any) -> QuerySet:
    """Teams whose members and role grants ``user`` may see in the admin.

    Superusers and holders of the global ``projects.view_project`` permission
    (portfolio managers) see every team, as ``projects_for`` lets them see every
    project; anyone else sees the teams they belong to.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_superuser or user.has_perm(f"projects.{Action.VIEW.value}"):
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user)


def visible_chain_keys(user: Any) -> QuerySet:
    """Audit chain keys (``project:<pk>``) of the projects ``user`` may see."""
    return (
        projects_for(user, Action.VIEW)
        .annotate(chain_key=Concat(Value("project:"), Cast("pk", CharField())))
        .values("chain_key")
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are written only by the workflow."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScopedAdminMixin:
    """Cut every queryset of the admin by the projects the user may see.

    ``project_path`` is the lookup from the model to its project (``"project"``,
    ``"request__project"``, ...). Superusers see everything (``projects_for``
    returns every project for them). An object outside the scope answers 404 in
    the change, delete and history views, as it does on every page. Pickers of
    projects (foreign keys and many-to-many) list only visible projects.
    """

    project_path: str = "project"

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        visible = projects_for(request.user, Action.VIEW)
        return queryset.filter(**{f"{self.project_path}__in": visible})

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist"; outside the scope
        # (or gone) answers 404 like every other page, revealing nothing.
        raise Http404(f"No {opts.verbose_name} with that id.")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is not None and db_field.related_model._meta.label == (
            "projects.Project"
        ):
            kwargs.setdefault("queryset", projects_for(request.user, Action.VIEW))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model._meta.label == "projects.Project":
            kwargs.setdefault("queryset", projects_for(request.user, Action.VIEW))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedInlineMixin:
    """Inline rows are cut by the parent's scope; this cuts the pickers too."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is not None and db_field.related_model._meta.label == (
            "projects.Project"
        ):
            kwargs.setdefault("queryset", projects_for(request.user, Action.VIEW))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def refusal_messages(refusal: Exception) -> list[tuple[str | None, str]]:
    """The messages of a service refusal, each with the field it concerns if known.

    The field is the key of a ``ValidationError`` raised with a dict, else the
    error's ``code`` when the service named it after the field (for instance
    ``projects.repo_urls`` raises with ``code="repository_url"``); the form
    puts a message whose key is none of its fields above the form.
    """
    if isinstance(refusal, ValidationError):
        if hasattr(refusal, "error_dict"):
            return [
                (field, message)
                for field, errors in refusal.error_dict.items()
                for error in errors
                for message in error.messages
            ]
        return [(error.code, message) for error in refusal.error_list for message in error]
    return [(None, str(refusal) or "You are not allowed to make this change.")]


class ServiceFormErrorsMixin:
    """Show a service's ``ValidationError`` or ``PermissionDenied`` on the form.

    Saving runs in a transaction; when a service raised during ``save_model``,
    ``save_related`` or a formset save, the transaction rolls back and the same
    POST is handled again with the refusal added to the form's errors (on the
    field it names, else above the form), so the admin re-renders the form with
    status 200 and saves nothing. The delete view turns a refusal into an error
    message on the object's page.
    """

    def save_form(self, request, form, change):
        setattr(request, _SAVING, True)
        return super().save_form(request, form, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as refusal:
            if not getattr(request, _SAVING, False):
                raise  # the admin's own check before any save: a real 403
            setattr(request, _SAVING, False)
            setattr(request, _REFUSAL, refusal_messages(refusal))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, _REFUSAL, None)
        if refusal is None:
            return form_class

        def clean(form):
            cleaned = form_class.clean(form)
            for field, text in refusal:
                form.add_error(field if field in form.fields else None, text)
            return cleaned

        return type(form_class.__name__, (form_class,), {"clean": clean})

    def log_deletions(self, request, queryset):
        # Called by the delete view and the bulk delete action just before the
        # deletion itself: refusals from here on are the service's.
        setattr(request, _SAVING, True)
        return super().log_deletions(request, queryset)

    def _refused(self, request, view, *args):
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return view(request, *args)
        except (ValidationError, PermissionDenied) as refusal:
            if not getattr(request, _SAVING, False):
                raise
            setattr(request, _SAVING, False)
            for _field, text in refusal_messages(refusal):
                self.message_user(request, text, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        view = super().delete_view
        if request.method != "POST":
            return view(request, object_id, extra_context)
        return self._refused(request, view, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        view = super().changelist_view  # bulk actions (delete selected) post here
        if request.method != "POST":
            return view(request, extra_context)
        return self._refused(request, view, extra_context)


def refuse_self(request: HttpRequest, user: Any, what: str) -> None:
    """The admin never lets a person change their own memberships or roles: someone
    else (a team maintainer or an administrator) does, on the record."""
    if user is not None and request.user.pk == getattr(user, "pk", None):
        raise ValidationError(
            {"user": f"You cannot {what}; ask a team maintainer or an administrator."}
        )


__all__ = [
    "ReadOnlyAdmin",
    "ScopedAdminMixin",
    "ScopedInlineMixin",
    "ServiceFormErrorsMixin",
    "refuse_self",
    "teams_for",
    "visible_chain_keys",
]
