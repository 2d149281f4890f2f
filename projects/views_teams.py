"""Team pages (namespace ``teams``): the directory and one team's people and projects.

Any signed-in user sees the directory (who is in which team, with which review
roles): people need it to know whom to ask. Projects on a team page still come
from the permission entry point, so a team page never reveals a project the
viewer may not see.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Team
from .permissions import is_admin, is_team_maintainer
from .selectors_pages import team_members, team_projects, teams_list


@require_GET
@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "projects/team_list.html", {"teams": teams_list()})


@require_GET
@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    return render(
        request,
        "projects/team_detail.html",
        {
            "team": team,
            "members": team_members(team),
            "projects": team_projects(request.user, team),
            "may_manage": is_admin(request.user) or is_team_maintainer(request.user, team),
        },
    )
