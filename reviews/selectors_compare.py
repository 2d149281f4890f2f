"""What changed since the project's last gate, for the review page.

Two comparisons a reviewer asks for first: the MLTRL card then and now, and the
checks that newly fail or newly pass against the last approved request's run.
Both cost a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gates.models import PASSING_OUTCOMES, CheckResult
from gates.selectors import latest_completed_run
from projects.cards import card_content, card_diff
from projects.models import CardVersion

from .models import UNDER_REVIEW_STATES, LevelChangeRequest, RequestState


@dataclass(frozen=True)
class CardSinceGate:
    version: CardVersion  # the card frozen when the project reached its current level
    changes: list[dict[str, Any]]


def card_since_last_gate(request: LevelChangeRequest) -> CardSinceGate | None:
    """The living card against the version frozen at the request's starting level.

    Only while the request is under review: afterwards the card has moved on and
    the card page compares any two versions.
    """
    if request.state not in UNDER_REVIEW_STATES:
        return None
    version = (
        CardVersion.objects.filter(project_id=request.project_id, level=request.from_level)
        .order_by("-number")
        .first()
    )
    if version is None:
        return None
    # "now" as an unsaved version: card_diff compares the content of two versions
    now = CardVersion(
        project_id=request.project_id,
        number=version.number + 1,
        level=request.project.level,
        content=card_content(request.project),
    )
    return CardSinceGate(version, card_diff(version, now))


@dataclass(frozen=True)
class ChecksSinceGate:
    previous: LevelChangeRequest
    newly_failing: list[str]
    newly_passing: list[str]


def checks_since_last_gate(request: LevelChangeRequest) -> ChecksSinceGate | None:
    """Checks whose outcome crossed pass/fail since the last approved request's run."""
    previous = (
        LevelChangeRequest.objects.filter(
            project_id=request.project_id,
            state=RequestState.APPROVED,
            created_at__lt=request.created_at,
        )
        .exclude(commit_sha="")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if previous is None or not request.commit_sha:
        return None
    before_run = latest_completed_run(request.project, previous.commit_sha)
    now_run = latest_completed_run(request.project, request.commit_sha)
    if before_run is None or now_run is None or before_run.pk == now_run.pk:
        return None
    outcomes: dict[int, dict[str, str]] = {before_run.pk: {}, now_run.pk: {}}
    for run_id, key, outcome in CheckResult.objects.filter(
        run_id__in=[before_run.pk, now_run.pk]
    ).values_list("run_id", "check_key", "outcome"):
        outcomes[run_id][key] = outcome
    before, now = outcomes[before_run.pk], outcomes[now_run.pk]
    common = sorted(before.keys() & now.keys())
    return ChecksSinceGate(
        previous,
        [k for k in common if before[k] in PASSING_OUTCOMES and now[k] not in PASSING_OUTCOMES],
        [k for k in common if before[k] not in PASSING_OUTCOMES and now[k] in PASSING_OUTCOMES],
    )
