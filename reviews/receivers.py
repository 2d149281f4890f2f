"""Signal receivers: gates announces commits and results, projects announces card
edits; reviews reacts as the ``worker`` system actor.

gates and projects sit below reviews and never import it; these receivers are the bridge.
"""

from django.dispatch import receiver

from gates.signals import check_results_changed, commit_resolved
from projects.actors import system_actor
from projects.signals import card_changed, role_revoked

from .followups import (
    request_follow_commit,
    requests_reevaluate_for_commit,
    requests_reevaluate_for_project,
)
from .models import RequestState, SignOff
from .open_slots import open_slots_rebuild
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


@receiver(role_revoked, dispatch_uid="reviews.open_slots_on_role_revoked")
def open_slots_on_role_revoked(sender, *, user_id: int, **kwargs) -> None:
    # The user's sign-offs on open requests may fill a place no longer: the
    # bottleneck rollup of those requests is rebuilt now, not at beat's next pass.
    signed = (
        SignOff.objects.filter(reviewer_id=user_id, active=True, request__state=RequestState.OPEN)
        .values_list("request_id", flat=True)
        .distinct()
    )
    ids = list(signed)
    if ids:
        open_slots_rebuild(ids)
