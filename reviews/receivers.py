"""Signal receivers: gates announces commits and results; reviews reacts.

gates sits below reviews and never imports it; these receivers are the bridge.
"""

from django.dispatch import receiver

from gates.signals import check_results_changed, commit_resolved

from .services import request_follow_commit, requests_reevaluate_for_commit


@receiver(check_results_changed, dispatch_uid="reviews.reevaluate_on_check_results")
def reevaluate_on_check_results(sender, *, project_id: int, commit_sha: str, **kwargs) -> None:
    requests_reevaluate_for_commit(project_id=project_id, commit_sha=commit_sha)


@receiver(commit_resolved, dispatch_uid="reviews.follow_resolved_commit")
def follow_resolved_commit(sender, *, project_id: int, commit_sha: str, **kwargs) -> None:
    request_follow_commit(project_id=project_id, commit_sha=commit_sha)
