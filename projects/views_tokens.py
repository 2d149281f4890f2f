"""The account page for API tokens (``/accounts/tokens/``): list, create, revoke.

Each person sees and manages only their own tokens. Creating and revoking go
through the services of ``projects.tokens`` (the same as ``manage.py token``),
which check the actor and write the audit event. A new token's text is shown
once, in the answer to the POST that created it (never stored, never in a URL).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .models import ApiToken, TokenScope
from .permissions import Action, projects_for
from .tokens import IssuedToken, token_create, token_revoke

MAX_DAYS = 3650


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What it is for, e.g. “GitHub Actions of vision”.",
        error_messages={
            "required": "Name the token after what will use it, for example “CI of vision”.",
            "max_length": "Keep the token's name to 100 characters or fewer.",
        },
    )
    scopes = forms.MultipleChoiceField(
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may do; no scope can sign off or waive.",
        error_messages={
            "required": "Choose at least one scope: what the token may do.",
            "invalid_choice": "Choose scopes from the list.",
        },
    )
    projects = forms.CharField(
        required=False,
        label="Restrict to projects (optional)",
        help_text="Short names separated by commas; empty: every project you can see.",
    )
    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        initial=90,
        label="Expires after (days, optional)",
        help_text=f"1 to {MAX_DAYS}; empty: never (revoke it when no longer needed).",
        error_messages={
            "invalid": f"Enter the number of days as a whole number from 1 to {MAX_DAYS}, "
            "or leave it empty for a token that never expires.",
            "min_value": f"A token lasts at least 1 day: enter 1 to {MAX_DAYS}, or leave it empty.",
            "max_value": f"A token lasts at most {MAX_DAYS} days (ten years): enter 1 to "
            f"{MAX_DAYS}, or leave it empty.",
        },
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_projects(self) -> list:
        slugs = sorted({s.strip() for s in self.cleaned_data["projects"].split(",") if s.strip()})
        found = list(projects_for(self.user, Action.VIEW).filter(slug__in=slugs))
        unknown = sorted(set(slugs) - {p.slug for p in found})
        if unknown:
            raise forms.ValidationError(f"No project you can see is called {', '.join(unknown)}.")
        return found


def _rows(user) -> list[dict]:
    """The user's tokens with the slugs of their projects (two queries)."""
    tokens = list(ApiToken.objects.filter(user=user))
    ids = {pk for t in tokens for pk in t.project_ids}
    slugs = dict(projects_for(user, Action.VIEW).filter(pk__in=ids).values_list("pk", "slug"))
    now = timezone.now()
    return [
        {
            "token": t,
            "projects": sorted(slugs[pk] for pk in t.project_ids if pk in slugs),
            "hidden": sum(1 for pk in t.project_ids if pk not in slugs),
            "state": "live" if t.is_live(now) else ("revoked" if t.revoked_at else "expired"),
        }
        for t in tokens
    ]


def _page(
    request: HttpRequest, form: TokenForm, issued: IssuedToken | None = None, status: int = 200
) -> HttpResponse:
    response = render(
        request,
        "projects/tokens.html",
        {"form": form, "issued": issued, "rows": _rows(request.user)},
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the page may carry a token's text
    return response


@require_GET
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    return _page(request, TokenForm(user=request.user))


@require_POST
@login_required
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    values = form.cleaned_data
    days = values["days"]
    try:
        issued = token_create(
            user=request.user,
            name=values["name"],
            scopes=values["scopes"],
            projects=values["projects"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
            actor=request.user,
        )
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=403)
    except ValidationError as exc:  # the service's sentence, beside its field
        for name, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
        return _page(request, form, status=400)
    return _page(request, TokenForm(user=request.user), issued)


@require_POST
@login_required
def token_revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    """Revoke one of the caller's tokens; someone else's answers 404."""
    token = ApiToken.objects.filter(user=request.user, prefix=prefix).first()
    if token is None:
        raise Http404("No such token of yours.")
    token_revoke(token=token, actor=request.user)
    return redirect("tokens:list")
