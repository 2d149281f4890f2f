"""``/projects/new/``: register a project and, for a higher entry level, its entry review.

It lives in ``reviews`` because an entry level above 0 opens an entry-review
request (a reviews service); ``projects`` may not import reviews. Both service
calls run in one transaction, so a refused entry review leaves no
half-registered project behind.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from projects import services as project_services

from . import services
from .forms import service_call
from .forms_project import NewProjectForm
from .models import RequestKind


class _Refused(Exception):
    """Raised inside the transaction to roll back after the form collected an error."""


@require_http_methods(["GET", "POST"])
@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    form = NewProjectForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            created = None
            try:
                with transaction.atomic():
                    created, status = service_call(
                        form,
                        lambda: project_services.project_create(
                            team=data["team"],
                            slug=data["slug"],
                            name=data["name"],
                            description=data["description"],
                            repository_url=data["repository_url"],
                            default_branch=data["default_branch"],
                            reviewer_teams=list(data["reviewer_teams"]),
                            actor=request.user,
                        ),
                    )
                    if created is not None and data["entry_level"]:
                        opened, status = service_call(
                            form,
                            lambda: services.request_open(
                                project=created,
                                actor=request.user,
                                kind=RequestKind.ENTRY,
                                to_level=data["entry_level"],
                                reason=data["entry_reason"],
                            ),
                        )
                        if opened is None:
                            raise _Refused
                        return redirect("reviews:detail", opened.pk)
            except _Refused:
                created = None
            if created is not None:
                return redirect("projects:detail", created.slug)
    return render(request, "reviews/project_new.html", {"form": form}, status=status)
