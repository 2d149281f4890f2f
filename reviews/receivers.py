"""Signal receivers: gates announces commits and results, projects announces card
edits; reviews reacts as the ``worker`` system actor.

gates and projects sit below reviews and never import it; these receivers are the bridge.
"""

from django.dispatch import receiver

from gates.signals import check_results_changed, commit_resolved
from projects.actors import system_actor
from projects.signals import card_changed

from .followups import (
    request_follow_commit,
    requests_reevaluate_for_commit,
    requests_reevaluate_for_project,
)
from .risk import project_risk_assess


@receiver(check_results_changed, dispatch_uid="reviews.reevaluate_on_check_results")
def reevaluate_on_check_results(sender, *, project_id: int, commit_sha: str, **kwargs) -> None:
    requests_reevaluate_for_commit(
        project_id=project_id, commit_sha=commit_sha, actor=system_actor("worker")
    )


@receiver(check_results_changed, dispatch_uid="reviews.assess_risk_on_check_results")
def assess_risk_on_check_results(sender, *, project_id: int, **kwargs) -> None:
    # A scheduled run of a level 7+ project flags it at risk, or clears the flag.
    project_risk_assess(project_id=project_id, actor=system_actor("worker"))


@receiver(commit_resolved, dispatch_uid="reviews.follow_resolved_commit")
def follow_resolved_commit(sender, *, project_id: int, commit_sha: str, **kwargs) -> None:
    request_follow_commit(
        project_id=project_id, commit_sha=commit_sha, actor=system_actor("worker")
    )


@receiver(card_changed, dispatch_uid="reviews.reevaluate_on_card_change")
def reevaluate_on_card_change(sender, *, project_id: int, **kwargs) -> None:
    # A written card section may be the last thing the open request's gate waited for.
    requests_reevaluate_for_project(project_id=project_id, actor=system_actor("worker"))
