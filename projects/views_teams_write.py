"""Managing a team in the browser: its maintainers add and remove members, grant and
revoke review roles (``projects.services``, audited; never to themselves).

Only a maintainer of the team (or an administrator) gets the manage page; any
other POST is refused with 403 before the form is read, and the services
check again inside their transactions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import services
from .models import ReviewRole, Team
from .permissions import require_team_manager
from .selectors_pages import team_members


class MemberForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter the username of the person."},
    )

    def clean_username(self) -> Any:
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise ValidationError(f"There is no active user named {name!r}.")
        return user


class RoleForm(MemberForm):
    role = forms.ModelChoiceField(
        label="Review role",
        queryset=ReviewRole.objects.order_by("key"),
        to_field_name="key",
        empty_label="Choose a role",
        error_messages={
            "required": "Choose the review role.",
            "invalid_choice": "Choose a role from the catalog.",
        },
    )


def _team_managed(request: HttpRequest, slug: str) -> Team:
    team = get_object_or_404(Team, slug=slug)
    require_team_manager(request.user, team)
    return team


def _page(request, team, forms_: dict[str, forms.Form], status: int = 200) -> HttpResponse:
    context = {
        "team": team,
        "members": team_members(team),
        "add_form": forms_.get("add") or MemberForm(prefix="add"),
        "grant_form": forms_.get("grant") or RoleForm(prefix="grant"),
        "failed": next((f for f in forms_.values() if f.errors), None),
    }
    return render(request, "projects/team_manage.html", context, status=status)


@require_GET
@login_required
def team_manage(request: HttpRequest, slug: str) -> HttpResponse:
    return _page(request, _team_managed(request, slug), {})


def _post(request: HttpRequest, slug: str, which: str, form_class, call) -> HttpResponse:
    team = _team_managed(request, slug)
    form = form_class(request.POST, prefix=which if which in ("add", "grant") else None)
    if not form.is_valid():
        return _page(request, team, {which: form}, 400)
    try:
        call(team, form.cleaned_data)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, team, {which: form}, 403)
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return _page(request, team, {which: form}, 400)
    return redirect("teams:manage", team.slug)


@require_POST
@login_required
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        "add",
        MemberForm,
        lambda team, d: services.membership_add(team=team, user=d["username"], actor=request.user),
    )


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        "remove",
        MemberForm,
        lambda team, d: services.membership_remove(
            team=team, user=d["username"], actor=request.user
        ),
    )


@require_POST
@login_required
def role_grant(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        "grant",
        RoleForm,
        lambda team, d: services.role_grant(
            team=team, user=d["username"], role=d["role"], actor=request.user
        ),
    )


@require_POST
@login_required
def role_revoke(request: HttpRequest, slug: str) -> HttpResponse:
    return _post(
        request,
        slug,
        "revoke",
        RoleForm,
        lambda team, d: services.role_revoke(
            team=team, user=d["username"], role=d["role"], actor=request.user
        ),
    )
