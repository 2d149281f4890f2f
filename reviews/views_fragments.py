"""Fragments other apps' pages load by URL name (htmx), each also a page of its own.

The project page (``projects``) cannot import reviews (layering), so it loads
the project's requests from here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects.permissions import Action, project_for

from .selectors_home import project_requests


@require_GET
@login_required
def project_requests_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    context = {"project": project, **project_requests(project)}
    template = "reviews/_project_requests.html" if request.htmx else "reviews/project_requests.html"
    return render(request, template, context)
