"""Opening a level-change request from the browser: advance to the next level, or switch back.

The advance form shows the gate's requirements (roles, checks, card sections)
and what is already met on the project's latest checked commit; the
switchback form offers only the levels the project passed through. The
service (``reviews.services.request_open``) decides; its refusals come back as
form errors in its own words.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from gates.models import CheckRun, CheckRunStatus, GateKind
from gates.policies import requirements_resolve
from gates.selectors import check_statuses
from projects.levels import HIGHEST_LEVEL, Level
from projects.models import MLTRLCard, Project
from projects.permissions import Action, project_for

from . import services
from .actions import active_request, open_request_blocker
from .evaluation import describe_slot
from .forms import AdvanceForm, SwitchbackForm, service_call
from .models import RequestKind


def _gate_preview(project: Project) -> dict[str, Any] | None:
    """The next gate's requirements and what is met on the latest checked commit."""
    if project.level >= HIGHEST_LEVEL:
        return None
    try:
        _, req = requirements_resolve(
            kind=GateKind.ADVANCE, from_level=project.level, to_level=project.level + 1
        )
    except (ValidationError, ObjectDoesNotExist) as exc:  # a missing policy: said, not a 500
        return {"error": str(exc)}
    run = (
        CheckRun.objects.filter(project=project, status=CheckRunStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )
    statuses = (
        check_statuses(project=project, commit_sha=run.commit_sha, keys=req.required_checks)
        if run
        else {}
    )
    card = MLTRLCard.objects.filter(project=project).first()
    return {
        "requirements": req,
        "slots": [describe_slot(s) + f" ({s.count})" for s in req.slots],
        "commit": run.commit_sha if run else "",
        "checks": [
            (key, statuses[key].outcome if key in statuses else None) for key in req.required_checks
        ],
        "sections": [
            (key, bool(str(getattr(card, key, "") or "").strip()))
            for key in req.required_card_sections
        ],
    }


def _render(request, project, form, kind, status=200, preview=None) -> HttpResponse:
    return render(
        request,
        "reviews/request_open.html",
        {"project": project, "form": form, "kind": kind, "preview": preview},
        status=status,
    )


def _blocked(request: HttpRequest, project: Project, kind: str) -> HttpResponse | None:
    """The page that says why no request of ``kind`` can be opened now (no form), or None.

    GET answers 200 with the sentence (and a link to the request under way); a
    POST answers 400 with it and writes nothing. The service checks again.
    """
    active = active_request(project)
    blocker = open_request_blocker(project, kind, active)
    if blocker is None:
        return None
    return render(
        request,
        "reviews/request_open.html",
        {
            "project": project,
            "kind": kind,
            "blocker": blocker,
            "active": active,
            "posted": request.method == "POST",
        },
        status=400 if request.method == "POST" else 200,
    )


def _open(request: HttpRequest, project: Project, form: forms.Form, **kw: Any):
    return service_call(
        form,
        lambda: services.request_open(
            project=project,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            debrief=form.debrief(),
            **kw,
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def advance(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.REQUEST_LEVEL_CHANGE, slug=slug)
    if blocked := _blocked(request, project, RequestKind.ADVANCE):
        return blocked
    form = AdvanceForm(request.POST if request.method == "POST" else None)
    preview = _gate_preview(project)
    if request.method == "POST":
        if not form.is_valid():
            return _render(request, project, form, "advance", 400, preview)
        created, status = _open(
            request, project, form, kind=RequestKind.ADVANCE, to_level=project.level + 1
        )
        if created is not None:
            return redirect("reviews:detail", created.pk)
        return _render(request, project, form, "advance", status, preview)
    return _render(request, project, form, "advance", preview=preview)


@require_http_methods(["GET", "POST"])
@login_required
def switchback(request: HttpRequest, slug: str) -> HttpResponse:
    project = project_for(request.user, Action.REQUEST_LEVEL_CHANGE, slug=slug)
    if blocked := _blocked(request, project, RequestKind.SWITCHBACK):
        return blocked
    levels = [(n, Level(n).label) for n in range(project.entry_level, project.level)]
    form = SwitchbackForm(request.POST if request.method == "POST" else None, levels=levels)
    if request.method == "POST":
        if not form.is_valid():
            return _render(request, project, form, "switchback", 400)
        created, status = _open(
            request,
            project,
            form,
            kind=RequestKind.SWITCHBACK,
            to_level=form.cleaned_data["to_level"],
            switchback_kind=form.cleaned_data["switchback_kind"],
        )
        if created is not None:
            return redirect("reviews:detail", created.pk)
        return _render(request, project, form, "switchback", status)
    return _render(request, project, form, "switchback")
