"""Gate pages (namespace ``gates``): the role catalog and a project's repository panel.

The repository panel is a fragment the project page loads by URL name; asked
without htmx it renders as a page of its own.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects.permissions import Action, project_for

from .selectors_pages import project_latest_run, role_catalog


@require_GET
@login_required
def roles(request: HttpRequest) -> HttpResponse:
    return render(request, "gates/role_catalog.html", {"roles": role_catalog()})


@require_GET
@login_required
def project_repository(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    template = "gates/_repository.html" if request.htmx else "gates/repository_page.html"
    return render(request, template, {"project": project, "summary": project_latest_run(project)})
