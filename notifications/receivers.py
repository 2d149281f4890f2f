"""Who is told what: a receiver of the audit record (every change writes one event).

The receiver runs inside the transaction that wrote the event, so the
notices commit (or roll back) with the change itself; emails leave after the
commit (``delivery.notify``). Views never notify.

- a request submitted or resubmitted: the reviewers whose roles its gate counts;
- a sign-off recorded (a decision): the requester;
- a check run recorded: the requester of the project's active request;
- a level changed: everyone involved (the owning team, the requester, the signers).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.urls import reverse

from gates.models import PASSING_OUTCOMES, CheckResult
from projects.models import AuditEvent, Membership, Project, RoleGrant
from reviews.models import ACTIVE_STATES, LevelChangeRequest, SignOff
from reviews.selectors import request_requirements

from .delivery import notify
from .models import NotificationKind

User = get_user_model()


def _request_url(pk: int) -> str:
    return reverse("reviews:detail", args=[pk])


def _reviewers(request: LevelChangeRequest) -> list[Any]:
    """People holding a role the request's gate counts, in the project's teams."""
    project = request.project
    roles = {r for slot in request_requirements(request).slots for r in slot.roles}
    teams = [project.team_id, *project.reviewer_teams.values_list("pk", flat=True)]
    ids = RoleGrant.objects.filter(team_id__in=teams, role__key__in=roles).values("user_id")
    return list(User.objects.filter(pk__in=ids).exclude(pk=request.requester_id))


def _a(noun: str) -> str:
    """``noun`` lower-cased with its indefinite article: "an advance", "a switchback"."""
    noun = noun.lower()
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _on_review_needed(event: AuditEvent, request: LevelChangeRequest) -> None:
    notify(
        _reviewers(request),
        kind=NotificationKind.REVIEW_NEEDED,
        title=f"Request #{request.pk} ({request.project.name}, {request.from_level} -> "
        f"{request.to_level}) needs your review",
        body=f"{request.requester.get_username()} asks for {_a(request.get_kind_display())} "
        f"of {request.project.name} to level {request.to_level}.",
        url=_request_url(request.pk),
        event_id=event.pk,
    )


def _on_decision(event: AuditEvent, request: LevelChangeRequest) -> None:
    signoff = SignOff.objects.filter(pk=event.payload.get("signoff")).first()
    if signoff is None:
        return
    decision = signoff.get_decision_display().lower()
    tasks = "".join(f"\n- {t}" for t in signoff.tasks)
    notify(
        [request.requester],
        kind=NotificationKind.DECISION,
        title=f"{signoff.reviewer.get_username()}: {decision} on request #{request.pk} "
        f"({request.project.name})",
        body=(signoff.comment + (f"\n\nTasks:{tasks}" if tasks else "")).strip(),
        url=_request_url(request.pk),
        event_id=event.pk,
    )


def _checks_body(event: AuditEvent, commit: str) -> str:
    """One sentence: how many checks ran and how many did not pass.

    ``checks.recorded`` (results posted through the service) carries the count;
    ``checks.finished`` (a run the worker ended) names the run, whose results are
    counted here, or its error when it ended without results.
    """
    if event.kind == "checks.recorded":
        return f"{event.payload.get('checks', 0)} checks ran on commit {commit}."
    outcomes = list(
        CheckResult.objects.filter(run_id=event.payload.get("run")).values_list(
            "outcome", flat=True
        )
    )
    if not outcomes:
        status = event.payload.get("status")
        return f"The check run on commit {commit} ended without results ({status})."
    failing = sum(outcome not in PASSING_OUTCOMES for outcome in outcomes)
    return f"{len(outcomes)} checks ran on commit {commit}; {failing} did not pass."


def _on_checks(event: AuditEvent) -> None:
    request = (
        LevelChangeRequest.objects.filter(project_id=event.project_id, state__in=ACTIVE_STATES)
        .select_related("project", "requester")
        .first()
    )
    if request is None or request.commit_sha != event.payload.get("commit"):
        return
    notify(
        [request.requester],
        kind=NotificationKind.CHECKS_FINISHED,
        title=f"Checks finished for request #{request.pk} ({request.project.name})",
        body=_checks_body(event, request.commit_sha[:10]),
        url=_request_url(request.pk),
        event_id=event.pk,
    )


def _on_level(event: AuditEvent) -> None:
    project = Project.objects.get(pk=event.project_id)
    people = set(
        Membership.objects.filter(team_id=project.team_id).values_list("user_id", flat=True)
    )
    request_id = event.payload.get("request")
    url = reverse("projects:detail", args=[project.slug])
    if request_id:
        people |= set(
            LevelChangeRequest.objects.filter(pk=request_id).values_list("requester_id", flat=True)
        )
        people |= set(
            SignOff.objects.filter(request_id=request_id).values_list("reviewer_id", flat=True)
        )
    notify(
        User.objects.filter(pk__in=people),
        kind=NotificationKind.LEVEL_CHANGED,
        title=f"{project.name} moved from level {event.payload.get('from_level')} to "
        f"{event.payload.get('to_level')}",
        url=url,
        event_id=event.pk,
    )


@receiver(post_save, sender=AuditEvent, dispatch_uid="notifications.on_audit_event")
def on_audit_event(sender, instance: AuditEvent, created: bool, **kwargs: Any) -> None:
    if not created or instance.project_id is None:
        return
    kind = instance.kind
    if kind in ("checks.recorded", "checks.finished"):
        _on_checks(instance)
    elif kind == "level.changed":
        _on_level(instance)
    elif kind in ("request.submit", "request.resubmit", "signoff.recorded"):
        request = (
            LevelChangeRequest.objects.filter(pk=instance.payload.get("request"))
            .select_related("project", "requester")
            .first()
        )
        if request is None:
            return
        if kind == "signoff.recorded":
            _on_decision(instance, request)
        else:
            _on_review_needed(instance, request)
