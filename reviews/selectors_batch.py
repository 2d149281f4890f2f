"""Gate facts of many requests at once, for pages that list requests with what they need.

``reviews.selectors.request_gate_facts`` answers one request in a fixed number
of queries; a page that lists N requests would pay N times that. Here the same
facts are gathered for a whole list in a fixed number of queries (sign-offs,
held grants, completed runs, their results, CI results, waivers, cards,
components), and ``gate_evaluate`` decides exactly as it does for one request.
A test compares both paths on the same requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from gates.models import CheckResult, CheckRun, CheckRunStatus, ExternalCheckResult
from gates.policies import Requirements
from gates.selectors import CheckStatus
from projects.models import MLTRLCard, Project, RoleGrant

from .evaluation import Approval, ChangeRequest, GateFacts
from .models import Decision, LevelChangeRequest, SignOff, Waiver
from .selectors import request_requirements


def approvals_many(
    requests: Sequence[LevelChangeRequest],
) -> dict[int, tuple[list[Approval], list[ChangeRequest]]]:
    """Counting approvals and outstanding change requests of each request (two queries)."""
    out: dict[int, tuple[list[Approval], list[ChangeRequest]]] = {r.pk: ([], []) for r in requests}
    if not requests:
        return out
    active = list(
        SignOff.objects.filter(request_id__in=list(out), active=True)
        .select_related("reviewer", "role")
        .order_by("request", "created_at", "pk")
    )
    held = set(
        RoleGrant.objects.filter(user_id__in={s.reviewer_id for s in active}).values_list(
            "user_id", "role_id", "team_id"
        )
    )
    for s in active:
        approvals, changes = out[s.request_id]
        if (
            s.decision == Decision.APPROVE
            and not s.stale
            and (s.reviewer_id, s.role_id, s.team_id) in held
        ):
            approvals.append(
                Approval(s.pk, s.reviewer.get_username(), s.role.key, s.team_id, s.independent)
            )
        elif s.decision == Decision.REQUEST_CHANGES:
            changes.append(ChangeRequest(s.reviewer.get_username(), tuple(s.tasks)))
    return out


def _check_statuses_many(
    requests: Sequence[LevelChangeRequest], reqs: dict[int, Requirements]
) -> dict[int, dict[str, CheckStatus]]:
    """``gates.selectors.check_statuses`` for every request, in three queries."""
    pinned = [r for r in requests if r.commit_sha]
    projects = {r.project_id for r in pinned}
    commits = {r.commit_sha for r in pinned}
    latest: dict[tuple[int, str], CheckRun] = {}
    if pinned:
        runs = CheckRun.objects.filter(
            project_id__in=projects, commit_sha__in=commits, status=CheckRunStatus.SUCCEEDED
        ).order_by("-finished_at", "-pk")
        for run in runs:
            latest.setdefault((run.project_id, run.commit_sha), run)
    results: dict[int, dict[str, CheckResult]] = {}
    for result in CheckResult.objects.filter(run_id__in=[r.pk for r in latest.values()]):
        results.setdefault(result.run_id, {})[result.check_key] = result
    external: dict[tuple[int, str, str], ExternalCheckResult] = {}
    if pinned:
        for result in ExternalCheckResult.objects.filter(
            project_id__in=projects, commit_sha__in=commits
        ).order_by("check_key", "-created_at", "-pk"):
            external.setdefault((result.project_id, result.commit_sha, result.check_key), result)
    out: dict[int, dict[str, CheckStatus]] = {}
    for request in requests:
        keys = reqs[request.pk].required_checks
        if not request.commit_sha:
            out[request.pk] = {
                k: CheckStatus(k, None, "The request has no pinned commit yet.") for k in keys
            }
            continue
        statuses = {k: CheckStatus(k, None, "No result on this commit yet.") for k in keys}
        run = latest.get((request.project_id, request.commit_sha))
        if run is not None:
            for key, result in results.get(run.pk, {}).items():
                if key in statuses:
                    statuses[key] = CheckStatus(key, result.outcome, result.message, run.pk)
        for key in keys:
            reported = external.get((request.project_id, request.commit_sha, key))
            if reported is not None:
                statuses[key] = CheckStatus(
                    key, reported.outcome, reported.message or "Reported by CI.", external=True
                )
        out[request.pk] = statuses
    return out


def gate_facts_many(requests: Sequence[LevelChangeRequest]) -> dict[int, GateFacts]:
    """The facts ``gate_evaluate`` needs for each request (``project`` must be loaded)."""
    if not requests:
        return {}
    reqs = {r.pk: request_requirements(r) for r in requests}
    signed = approvals_many(requests)
    checks = _check_statuses_many(requests, reqs)
    project_ids = {r.project_id for r in requests}
    waived: dict[int, set[str]] = {}
    for project_id, key in Waiver.objects.filter(
        project_id__in=project_ids, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).values_list("project_id", "check_key"):
        waived.setdefault(project_id, set()).add(key)
    needs_card = {r.project_id for r in requests if reqs[r.pk].required_card_sections}
    cards = {c.project_id: c for c in MLTRLCard.objects.filter(project_id__in=needs_card)}
    components: dict[int, list[tuple[str, int]]] = {}
    rows = (
        Project.components.through.objects.filter(from_project_id__in=project_ids)
        .order_by("to_project__slug")
        .values_list("from_project_id", "to_project__slug", "to_project__level")
    )
    for project_id, slug, level in rows:
        components.setdefault(project_id, []).append((slug, level))
    facts = {}
    for request in requests:
        req = reqs[request.pk]
        card = cards.get(request.project_id)
        empty = (
            [s for s in req.required_card_sections if not getattr(card, s, "").strip()]
            if card is not None
            else []
        )
        below = (
            [
                (slug, lv)
                for slug, lv in components.get(request.project_id, [])
                if lv < request.to_level
            ]
            if request.to_level > request.from_level
            else []
        )
        approvals, changes = signed[request.pk]
        facts[request.pk] = GateFacts(
            requirements=req,
            owning_team_id=request.project.team_id,
            approvals=approvals,
            outstanding_changes=changes,
            checks=checks[request.pk],
            waived_checks=frozenset(
                waived.get(request.project_id, set()) & set(req.required_checks)
            ),
            empty_card_sections=empty,
            components_below=below,
            to_level=request.to_level,
        )
    return facts
