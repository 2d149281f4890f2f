"""Reads behind the review page: the verdict, the sign-off table, checks, waivers, comments.

One request, a fixed number of queries whatever the number of sign-offs,
results, waivers or comments. The verdict comes from the pure gate evaluation
(``reviews.evaluation``) on the facts ``request_gate_facts`` gathers, so the
page shows the same sentences as the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from gates.models import (
    CHECK_RUN_ACTIVE_STATES,
    PASSING_OUTCOMES,
    CheckResult,
    ExternalCheckResult,
)
from gates.policies import Requirements
from gates.selectors_pages import external_results_for
from gates.selectors_runs import RunProgress, run_progress_for
from projects.models import RoleGrant
from projects.permissions import requests_reachable

from .evaluation import GateFacts, GateVerdict, describe_slot, gate_evaluate, match_slots
from .models import UNDER_REVIEW_STATES, Comment, Decision, LevelChangeRequest, SignOff, Waiver
from .selectors import request_gate_facts, request_requirements, requests_for

OUTCOME_ORDER = {"fail": 0, "error": 1, None: 2, "warn": 3, "pass": 4}


def request_for_page(user: Any, pk: int, *, own: bool = False) -> LevelChangeRequest | None:
    """The request if ``user`` may see its project (else None: the view answers 404).
    ``own``: also a request ``user`` opened on a project they no longer see (its page
    and its withdrawal only; ``projects.permissions.requests_reachable``)."""
    reachable = (
        requests_reachable(user, LevelChangeRequest.objects.all()) if own else requests_for(user)
    )
    return (
        reachable.select_related("project", "project__team", "requester", "policy_version__policy")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class SignoffRow:
    signoff: SignOff
    counts: bool  # fills a slot place now
    problem: str  # why it does not count (stale, role no longer held, ...), or ""


@dataclass(frozen=True)
class SlotRow:
    description: str
    count: int
    scope: str
    filled: tuple[SignoffRow, ...]
    empty: int

    @property
    def empty_places(self) -> range:
        return range(self.empty)


@dataclass
class ReviewPage:
    request: LevelChangeRequest
    requirements: Requirements
    facts: GateFacts
    verdict: GateVerdict
    slots: list[SlotRow]
    other_signoffs: list[SignoffRow]  # active but not filling a slot (changes, rejects, stale)
    earlier_signoffs: list[SignOff]  # superseded by the same reviewer
    waivers: list[dict[str, Any]]
    comments: list[Comment]
    extra: dict[str, Any] = field(default_factory=dict)


def _problem(s: SignOff, held: set[tuple[int, int, int]], request: LevelChangeRequest) -> str:
    if s.stale:
        return (
            f"Stale: approved on commit {s.commit_sha[:10] or '(none)'}; the request now checks "
            f"{request.commit_sha[:10] or '(no commit)'}, and this gate asks for a fresh approval "
            "after a new commit."
        )
    if (s.reviewer_id, s.role_id, s.team_id) not in held:
        return (
            f"Does not count: {s.reviewer.get_username()} no longer holds {s.role.key} "
            f"in {s.team.name}."
        )
    return ""


def review_page(request: LevelChangeRequest) -> ReviewPage:
    """Everything the review page shows about one request (its project must be loaded)."""
    reqs = request_requirements(request)
    facts = request_gate_facts(request)
    verdict = gate_evaluate(facts)
    signoffs = list(
        SignOff.objects.filter(request=request)
        .select_related("reviewer", "role", "team")
        .order_by("created_at", "pk")
    )
    active = [s for s in signoffs if s.active]
    held = set(
        RoleGrant.objects.filter(user_id__in={s.reviewer_id for s in active}).values_list(
            "user_id", "role_id", "team_id"
        )
    )
    by_id = {s.pk: s for s in active}
    filled = match_slots(reqs.slots, facts.approvals, facts.owning_team_id)
    placed = {a.signoff_id for places in filled for a in places}
    slots = [
        SlotRow(
            description=describe_slot(slot),
            count=slot.count,
            scope=slot.scope,
            filled=tuple(SignoffRow(by_id[a.signoff_id], True, "") for a in places),
            empty=slot.count - len(places),
        )
        for slot, places in zip(reqs.slots, filled, strict=True)
    ]
    others = []
    for s in active:
        if s.pk in placed:
            continue
        problem = _problem(s, held, request)
        if not problem and s.decision == Decision.APPROVE:
            problem = "Counted in no slot: the slots it could fill are already filled."
        others.append(SignoffRow(s, False, problem))
    now = timezone.now()
    waivers = [
        {
            "waiver": w,
            "state": "revoked"
            if w.revoked_at
            else ("expired" if w.expires_at <= now else "in force"),
            "required": w.check_key in reqs.required_checks,
        }
        for w in Waiver.objects.filter(project_id=request.project_id)
        .select_related("granted_by", "revoked_by", "role")
        .order_by("-created_at")
    ]
    comments = list(
        Comment.objects.filter(request=request).select_related("author").order_by("created_at")
    )
    return ReviewPage(
        request=request,
        requirements=reqs,
        facts=facts,
        verdict=verdict,
        slots=slots,
        other_signoffs=others,
        earlier_signoffs=[s for s in signoffs if not s.active],
        waivers=waivers,
        comments=comments,
    )


@dataclass(frozen=True)
class CheckRow:
    key: str
    required: bool
    outcome: str | None
    message: str
    evidence: Any
    fix: str
    waived: bool

    @property
    def blocking(self) -> bool:
        """Required by the gate, not passing and not waived: it holds the level change
        (the same rule as ``reviews.evaluation``)."""
        return self.required and self.outcome not in PASSING_OUTCOMES and not self.waived

    @property
    def standing(self) -> str:
        """What the row means for this gate, in words (the page never relies on colour)."""
        if self.blocking:
            return "Required: blocks the level change"
        if self.required and self.outcome not in PASSING_OUTCOMES:
            return "Required, waived: does not block"
        if self.required:
            return "Required by this gate"
        return "Not required at this level: for information"


@dataclass(frozen=True)
class ChecksPanel:
    progress: RunProgress
    rows: list[CheckRow]
    external: list[ExternalCheckResult]
    live: bool  # the panel should poll: a run is queued or running for a request under review

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.outcome or "none"] = out.get(row.outcome or "none", 0) + 1
        return out

    @property
    def passing(self) -> int:
        return sum(1 for r in self.rows if r.outcome in ("pass", "warn"))

    @property
    def attention(self) -> list[CheckRow]:
        """Rows a reviewer must read: failing, erroring, missing or warning."""
        return [r for r in self.rows if r.outcome != "pass"]

    @property
    def blocking(self) -> list[CheckRow]:
        """Required checks that hold the level change until they pass or are waived."""
        return [r for r in self.rows if r.blocking]

    @property
    def not_blocking(self) -> list[CheckRow]:
        """The other rows to read: not required at this level, waived, or a warning."""
        return [r for r in self.attention if not r.blocking]

    @property
    def passed(self) -> list[CheckRow]:
        return [r for r in self.rows if r.outcome == "pass"]


def checks_panel(request: LevelChangeRequest) -> ChecksPanel:
    """The check run of a request with every result, required ones marked (four queries)."""
    required = request_requirements(request).required_checks
    progress = run_progress_for(
        project=request.project, commit_sha=request.commit_sha, request_id=request.pk
    )
    waived = set(
        Waiver.objects.filter(
            project_id=request.project_id,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            check_key__in=required,
        ).values_list("check_key", flat=True)
    )
    seen: dict[str, CheckResult] = {r.check_key: r for r in progress.results}
    rows = [
        CheckRow(
            r.check_key, r.check_key in required, r.outcome, r.message, r.evidence, r.fix, False
        )
        for r in progress.results
    ]
    external = external_results_for(project=request.project, commit_sha=request.commit_sha)
    reported = {e.check_key for e in external}
    for key in required:
        if key not in seen and key not in reported:
            rows.append(CheckRow(key, True, None, "No result on this commit yet.", {}, "", False))
    rows = [
        CheckRow(r.key, r.required, r.outcome, r.message, r.evidence, r.fix, r.key in waived)
        for r in rows
    ]
    rows.sort(key=lambda r: (not r.required, OUTCOME_ORDER.get(r.outcome, 2), r.key))
    run = progress.run
    # Before its first run exists a request on a linked repository is about to get
    # one; a project with no repository never will, so there is nothing to wait for.
    waiting_for_run = run is None and bool(request.project.repository_url)
    live = request.state in UNDER_REVIEW_STATES and (
        waiting_for_run or (run is not None and run.status in CHECK_RUN_ACTIVE_STATES)
    )
    return ChecksPanel(progress, rows, external, live)


def requests_page(user: Any, state: str) -> QuerySet[LevelChangeRequest]:
    """The requests list: those on projects ``user`` sees, by state group."""
    qs = requests_for(user).select_related("project", "requester")
    groups = {
        "active": UNDER_REVIEW_STATES,
        "open": ("open",),
        "changes_requested": ("changes_requested",),
        "approved": ("approved",),
        "rejected": ("rejected",),
        "withdrawn": ("withdrawn",),
        "draft": ("draft",),
    }
    if state in groups:
        qs = qs.filter(state__in=groups[state])
    return qs.order_by("-created_at", "-pk")
