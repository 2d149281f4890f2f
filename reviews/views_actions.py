"""The review page's write side: sign off, comment, withdraw, submit, resubmit, re-run, waive.

Each action is a POST to its own URL that calls one service; GET shows the
form as a page of its own (so everything works without JavaScript). A request
the user may not see is 404; an action the user may not take is 403 before the
form is even read (a forged POST), and any refusal the service raises comes
back as an error on the form in the service's own words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from projects.permissions import Action, require

from . import services
from .actions import review_actions
from .forms import (
    CommentForm,
    ResubmitForm,
    SignOffForm,
    WaiverGrantForm,
    WithdrawForm,
    service_call,
)
from .models import UNDER_REVIEW_STATES, LevelChangeRequest, RequestState, Waiver
from .selectors import request_requirements
from .selectors_page import request_for_page
from .state_machine import request_is
from .waivers import waiver_grant, waiver_revoke


def _visible(request: HttpRequest, pk: int, *, own: bool = False) -> LevelChangeRequest:
    """The request, 404 unless its project is visible (``own``: or ``request.user``
    opened it, for withdrawing after leaving the team)."""
    level_request = request_for_page(request.user, pk, own=own)
    if level_request is None:
        raise Http404("No such request.")
    return level_request


def _back(lr: LevelChangeRequest, anchor: str = "") -> HttpResponse:
    return redirect(reverse("reviews:detail", args=[lr.pk]) + anchor, permanent=False)


def _action(
    request: HttpRequest,
    lr: LevelChangeRequest,
    form: forms.Form,
    *,
    title: str,
    button: str,
    run: Callable[[forms.Form], Any],
    anchor: str = "",
) -> HttpResponse:
    """GET: the form page. POST: validate, call the service, back to the review page."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _, status = service_call(form, lambda: run(form))
            if status == 200:
                return _back(lr, anchor)
        else:
            status = 400
    return render(
        request,
        "reviews/action_page.html",
        {"lr": lr, "project": lr.project, "form": form, "title": title, "button": button},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def signoff(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    require(request.user, Action.SIGN_OFF, lr.project)
    if lr.state == RequestState.DRAFT:
        raise PermissionDenied(f"{request_is(lr)}; it takes sign-offs once it is submitted.")
    if lr.state not in UNDER_REVIEW_STATES:  # decided or withdrawn: the reason is the state
        raise PermissionDenied(f"{request_is(lr)}; it cannot be signed.")
    if not review_actions(request.user, lr, []).sign:
        # The same rule that shows the buttons: a forged POST is refused outright.
        raise PermissionDenied("None of your review roles fits an empty slot of this request.")
    form = SignOffForm(
        request.POST if request.method == "POST" else None, initial={"commit_sha": lr.commit_sha}
    )

    def run(f: forms.Form):
        data = f.cleaned_data
        return services.signoff_record(
            level_request=lr,
            actor=request.user,
            decision=data["decision"],
            comment=data["comment"],
            tasks=data["task_list"],
            commit_sha=data["commit_sha"],
        )

    return _action(
        request, lr, form, title="Sign off", button="Record decision", run=run, anchor="#signoffs"
    )


@require_http_methods(["GET", "POST"])
@login_required
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    form = CommentForm(request.POST if request.method == "POST" else None)
    return _action(
        request,
        lr,
        form,
        title="Add a comment",
        button="Add comment",
        run=lambda f: services.comment_add(
            level_request=lr, actor=request.user, body=f.cleaned_data["body"]
        ),
        anchor="#conversation",
    )


@require_http_methods(["GET", "POST"])
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk, own=True)
    if not review_actions(request.user, lr, []).withdraw:
        raise PermissionDenied("Only the requester or the owning team may withdraw this request.")
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    return _action(
        request,
        lr,
        form,
        title="Withdraw the request",
        button="Withdraw request",
        run=lambda f: services.request_withdraw(
            level_request=lr, actor=request.user, reason=f.cleaned_data["reason"]
        ),
    )


@require_http_methods(["GET", "POST"])
@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit a draft (the proposed switchback of an at-risk project): it opens for review."""
    lr = _visible(request, pk)
    require(request.user, Action.REQUEST_LEVEL_CHANGE, lr.project)
    form = forms.Form(request.POST if request.method == "POST" else None)
    return _action(
        request,
        lr,
        form,
        title="Submit the draft for review",
        button="Submit for review",
        run=lambda f: services.request_submit(level_request=lr, actor=request.user),
    )


@require_http_methods(["GET", "POST"])
@login_required
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    require(request.user, Action.REQUEST_LEVEL_CHANGE, lr.project)
    form = ResubmitForm(request.POST if request.method == "POST" else None)
    return _action(
        request,
        lr,
        form,
        title="Resubmit after changes",
        button="Resubmit for review",
        run=lambda f: services.request_resubmit(
            level_request=lr, actor=request.user, comment=f.cleaned_data["comment"]
        ),
    )


@require_POST
@login_required
def rerun(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    require(request.user, Action.REQUEST_LEVEL_CHANGE, lr.project)
    form = forms.Form(request.POST)
    form.is_valid()
    return _action(
        request,
        lr,
        form,
        title="Re-run the checks",
        button="Re-run checks",
        run=lambda f: services.request_checks_rerun(level_request=lr, actor=request.user),
        anchor="#checks-title",
    )


@require_http_methods(["GET", "POST"])
@login_required
def waiver_new(request: HttpRequest, pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    require(request.user, Action.WAIVE, lr.project)
    checks = request_requirements(lr).required_checks
    form = WaiverGrantForm(request.POST if request.method == "POST" else None, checks=checks)

    def run(f: forms.Form):
        return waiver_grant(
            project=lr.project,
            check_key=f.cleaned_data["check_key"],
            actor=request.user,
            reason=f.cleaned_data["reason"],
            expires_at=f.expires_at(),
        )

    return _action(
        request, lr, form, title="Grant a waiver", button="Grant waiver", run=run, anchor="#waivers"
    )


@require_POST
@login_required
def waiver_revoke_view(request: HttpRequest, pk: int, waiver_pk: int) -> HttpResponse:
    lr = _visible(request, pk)
    require(request.user, Action.WAIVE, lr.project)
    waiver = get_object_or_404(Waiver, pk=waiver_pk, project=lr.project)
    form = forms.Form(request.POST)
    form.is_valid()
    return _action(
        request,
        lr,
        form,
        title="Revoke a waiver",
        button="Revoke waiver",
        run=lambda f: waiver_revoke(waiver=waiver, actor=request.user),
        anchor="#waivers",
    )
