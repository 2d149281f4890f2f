"""Fragments other apps' pages load by URL name (htmx), each also a page of its own.

The project page (``projects``) cannot import reviews (layering), so it loads
the project's requests from here, with "Ask to advance" and "Switch back" when
no request is under way and the user may open one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects.permissions import Action, project_for, user_can

from .actions import open_request_blocker
from .models import RequestKind
from .selectors_home import project_requests

HTMX_STOP_POLLING = 286  # htmx stops polling an element that gets this status


@require_GET
@login_required
def project_requests_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    context = {"project": project, **project_requests(project)}
    # "Ask to advance" / "Switch back" only where the service would take them now.
    may_request = user_can(request.user, Action.REQUEST_LEVEL_CHANGE, project)
    for kind in (RequestKind.ADVANCE, RequestKind.SWITCHBACK):
        context[f"offer_{kind.value}"] = may_request and not open_request_blocker(
            project, kind, context["active"]
        )
    if not request.htmx:
        return render(request, "reviews/project_requests.html", context)
    response = render(request, "reviews/_project_requests.html", context)
    if request.GET.get("level", "") not in ("", str(project.level)):
        # The page was drawn at another level: let it reload its ladder.
        response["HX-Trigger"] = "level-changed"
    if context["active"] is None:
        response.status_code = HTMX_STOP_POLLING
    return response
