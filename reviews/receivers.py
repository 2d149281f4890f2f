"""Signal receivers: gates announces new check results; reviews re-evaluates its gates."""

from django.dispatch import receiver

from gates.signals import check_results_changed

from .services import requests_reevaluate_for_commit


@receiver(check_results_changed, dispatch_uid="reviews.reevaluate_on_check_results")
def reevaluate_on_check_results(sender, *, project_id: int, commit_sha: str, **kwargs) -> None:
    requests_reevaluate_for_commit(project_id=project_id, commit_sha=commit_sha)
