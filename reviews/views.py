"""Review pages (namespace ``reviews``): home, the requests list, the review page.

The action forms (sign off, waive, comment, withdraw, resubmit, re-run) fill
the marked template blocks of the review page, shown only for what the user
may do (``reviews.actions``), and post to ``views_actions``, which call the
services. Views stay thin: parse, select, render.
A request on a project the user may not see answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from projects.permissions import Action, user_can

from .actions import review_actions
from .forms import CommentForm, SignOffForm
from .models import UNDER_REVIEW_STATES, RequestState
from .selectors_compare import card_since_last_gate, checks_since_last_gate
from .selectors_home import my_open_requests, my_projects, team_activity, waiting_on
from .selectors_page import checks_panel, request_for_page, requests_page, review_page

# htmx stops polling an element when the response has this status.
HTMX_STOP_POLLING = 286

STATE_FILTERS = (
    ("active", "Under review"),
    ("open", "Open"),
    ("changes_requested", "Changes requested"),
    ("draft", "Draft"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
    ("all", "All"),
)


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    """``/``: the sign-in page for visitors, the home page for signed-in users."""
    if request.user.is_authenticated:
        return redirect("reviews:home")
    return redirect("login")


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "reviews/home.html",
        {
            "waiting": waiting_on(user),
            "projects": my_projects(user),
            "my_requests": my_open_requests(user),
            "activity": team_activity(user),
        },
    )


@require_GET
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "active")
    if state not in dict(STATE_FILTERS):
        state = "active"
    page = Paginator(requests_page(request.user, state), settings.MLTRL_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/request_list.html",
        {"page": page, "state": state, "states": STATE_FILTERS, "query": f"state={state}"},
    )


def _request_or_404(request: HttpRequest, pk: int, *, own: bool = False):
    level_request = request_for_page(request.user, pk, own=own)
    if level_request is None:
        raise Http404("No such request.")
    return level_request


@require_GET
@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Its requester reads it also after leaving the team, to withdraw it.
    level_request = _request_or_404(request, pk, own=True)
    project = level_request.project
    page = review_page(level_request)
    actions = review_actions(request.user, level_request, [w["waiver"] for w in page.waivers])
    return render(
        request,
        "reviews/request_detail.html",
        {
            "page": page,
            "actions": actions,
            "can_rerun": actions.rerun,
            "signoff_form": SignOffForm(initial={"commit_sha": level_request.commit_sha}),
            "comment_form": CommentForm(),
            "lr": level_request,
            "project": project,
            "panel": checks_panel(level_request),
            "card_since": card_since_last_gate(level_request),
            "checks_since": checks_since_last_gate(level_request),
            "is_requester": level_request.requester_id == request.user.pk,
            "may_sign": user_can(request.user, Action.SIGN_OFF, project),
            "under_review": level_request.state
            in (RequestState.OPEN, RequestState.CHANGES_REQUESTED),
        },
    )


@require_GET
@login_required
def request_checks(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-run panel: a fragment for htmx polling, a page of its own otherwise.

    While the run is queued or running the fragment asks to be polled again; once
    it is final an htmx request gets status 286, which stops the polling.
    """
    level_request = _request_or_404(request, pk, own=True)
    panel = checks_panel(level_request)
    context = {
        "lr": level_request,
        "project": level_request.project,
        "panel": panel,
        "can_rerun": review_actions(request.user, level_request, []).rerun,
    }
    if request.htmx:
        status = 200 if panel.live else HTMX_STOP_POLLING
        return render(request, "reviews/_checks_panel.html", context, status=status)
    return render(request, "reviews/checks_page.html", context)


@require_GET
@login_required
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The verdict panel: polled by the review page while the request is under review.

    Once the request is decided (approved: the level changed) an htmx request
    gets 286 and the final verdict, which stops the polling without a reload.
    """
    level_request = _request_or_404(request, pk, own=True)
    under_review = level_request.state in UNDER_REVIEW_STATES
    context = {
        "lr": level_request,
        "project": level_request.project,
        "page": review_page(level_request),
        "under_review": under_review,
    }
    if request.htmx:
        status = 200 if under_review else HTMX_STOP_POLLING
        return render(request, "reviews/_verdict.html", context, status=status)
    return render(request, "reviews/status_page.html", context)
