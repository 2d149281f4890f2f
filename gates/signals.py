"""Signals gates sends so that higher layers (reviews) can react without being imported.

``check_results_changed(project_id, commit_sha)`` fires after the commit of a
transaction that completed a check run or stored a CI-reported result.
"""

from django.dispatch import Signal

check_results_changed = Signal()

# ``commit_resolved(project_id, commit_sha, request_id)``: a run fetched the branch
# head and found this commit; reviews re-pins the project's active request to it.
commit_resolved = Signal()
