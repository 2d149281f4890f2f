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

HTMX_STOP_POLLING = 286  # htmx stops polling an element that gets this status


@require_GET
@login_required
def project_requests_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    context = {"project": project, **project_requests(project)}
    if not request.htmx:
        return render(request, "reviews/project_requests.html", context)
    response = render(request, "reviews/_project_requests.html", context)
    if request.GET.get("level", "") not in ("", str(project.level)):
        # The page was drawn at another level: let it reload its ladder.
        response["HX-Trigger"] = "level-changed"
    if context["active"] is None:
        response.status_code = HTMX_STOP_POLLING
    return response
