"""Project pages: the list, one project's page, and its MLTRL card (versions, diff, export).

Views stay thin: parse the query string, call a selector, render. Projects come
from the permission entry point, so a project outside the user's scope is a 404.
Data of higher apps (requests, check runs) is composed in as fragments those
apps serve (see ``reviews.views_fragments`` and ``gates.views``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .cards import card_content, card_diff, card_json, card_markdown
from .keyset import keyset_page
from .levels import LEVELS, Phase
from .models import CardSection, ProjectStatus
from .permissions import Action, project_for, user_can
from .query_params import MAX_POSITIVE_INT, whole_number
from .selectors import project_level_at
from .selectors_pages import (
    GAP_CHOICES,
    ProjectFilters,
    card_version_get,
    card_versions,
    project_ladder,
    project_timeline,
    projects_list,
    teams_for_filter,
)
from .timeline import TIMELINE_FILTERS
from .views_write import CARD_PARTS


def card_parts(content: dict) -> dict:
    """Card content shaped for the card partial: labelled sections in card order."""
    return {
        "summary": content["summary"],
        "sections": [
            (section.label, content["sections"].get(section.value, "")) for section in CardSection
        ],
        "debriefs": content["debriefs"],
    }


@require_GET
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filters = ProjectFilters.from_query(request.GET)
    page = keyset_page(
        projects_list(request.user, filters),
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        size=settings.MLTRL_PAGE_SIZE,
    )
    query = request.GET.copy()
    for key in ("page", "after", "before"):
        query.pop(key, None)
    return render(
        request,
        "projects/project_list.html",
        {
            "page": page,
            "filters": filters,
            "teams": teams_for_filter(),
            "levels": LEVELS,
            "phases": Phase.choices,
            "statuses": ProjectStatus.choices,
            "gaps": GAP_CHOICES.items(),
            "query": query.urlencode(),
        },
    )


def _level_on(project, raw: str) -> dict:
    """Answer "which level was the project at on <date>" for the history form."""
    if not raw:
        return {}
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return {"error": "Enter a date as YYYY-MM-DD, for example 2026-03-01.", "raw": raw}
    # The end of the day is the start of the next one; 9999-12-31 has none, so its
    # end is the last moment there is (the selector brings it inside the database's range).
    end_of_day = timezone.make_aware(
        datetime.combine(day + timedelta(days=1), time.min) if day < date.max else datetime.max
    )
    return {"day": day, "level": project_level_at(project, end_of_day), "raw": raw}


@require_GET
@login_required
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    which = request.GET.get("history", "all")
    if which not in TIMELINE_FILTERS:
        which = "all"
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "team": project.team,
            "ladder": project_ladder(project),
            "card": card_parts(card_content(project)),
            "timeline": project_timeline(project, which=which),
            "history_filter": which,
            "history_filters": [(k, label) for k, (label, _) in TIMELINE_FILTERS.items()],
            "level_on": _level_on(project, request.GET.get("on", "").strip()),
            "can_change": user_can(request.user, Action.CHANGE, project),
            "can_request": user_can(request.user, Action.REQUEST_LEVEL_CHANGE, project),
        },
    )


@require_GET
@login_required
def card_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The live card, its earlier versions and the form to compare two of them."""
    project = project_for(request.user, Action.VIEW, slug=slug)
    versions = card_versions(project)
    return render(
        request,
        "projects/card_detail.html",
        {
            "project": project,
            "card": card_parts(card_content(project)),
            "versions": versions,
            "version": None,
            "can_change": user_can(request.user, Action.CHANGE, project),
            "card_parts": CARD_PARTS,
        },
    )


def _version_or_404(project, number: int):
    version = card_version_get(project, number)
    if version is None:
        raise Http404("No such card version.")
    return version


@require_GET
@login_required
def card_version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    project = project_for(request.user, Action.VIEW, slug=slug)
    version = _version_or_404(project, number)
    return render(
        request,
        "projects/card_detail.html",
        {
            "project": project,
            "card": card_parts(version.content),
            "versions": card_versions(project),
            "version": version,
        },
    )


def _parse_version_number(raw: str | None) -> int | None:
    """A card version number (ASCII digits, 1 and up), or None for anything else."""
    return whole_number(raw, low=1, high=MAX_POSITIVE_INT)


def _bad_request(request: HttpRequest, sentence: str) -> HttpResponse:
    """400 in the app's style, saying what was wrong with the address."""
    return render(request, "400.html", {"reason": sentence}, status=400)


@require_GET
@login_required
def card_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Diff two versions (``?from=3&to=7``); missing or bad numbers answer with the form."""
    project = project_for(request.user, Action.VIEW, slug=slug)
    versions = card_versions(project)
    older_n = _parse_version_number(request.GET.get("from"))
    newer_n = _parse_version_number(request.GET.get("to"))
    error, changes, older, newer = "", None, None, None
    if request.GET and (older_n is None or newer_n is None):
        error = "Choose two versions to compare."
    elif older_n is not None and newer_n is not None:
        older, newer = card_version_get(project, older_n), card_version_get(project, newer_n)
        if older is None or newer is None:
            error = "One of those versions does not exist."
        else:
            changes = card_diff(older, newer)
    status = 400 if error else 200
    return render(
        request,
        "projects/card_compare.html",
        {
            "project": project,
            "versions": versions,
            "older": older,
            "newer": newer,
            "changes": changes,
            "error": error,
            "from_n": older_n,
            "to_n": newer_n,
        },
        status=status,
    )


@require_GET
@login_required
def card_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    """The live card (or ``?version=N``) as a Markdown or JSON download."""
    project = project_for(request.user, Action.VIEW, slug=slug)
    number = _parse_version_number(request.GET.get("version"))
    if request.GET.get("version") and number is None:
        return _bad_request(
            request,
            "The version must be the number of a card version, for example ?version=2; "
            "leave it out for the living card.",
        )
    content = _version_or_404(project, number).content if number else card_content(project)
    suffix = f"-v{number}" if number else ""
    if fmt == "md":
        body, mime, ext = card_markdown(content), "text/markdown; charset=utf-8", "md"
    else:
        body, mime, ext = card_json(content), "application/json", "json"
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-card{suffix}.{ext}"'
    return response
