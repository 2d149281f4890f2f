"""The API, version 1 (``/api/v1/``): every app's endpoints, one line each.

URL names keep the ``api-`` prefix without a namespace, so the status endpoint's
name (``api-request-checks``) stays what it was.
"""

from django.urls import path

from gates.api.evidence import EvidenceView
from projects.api.views import LevelListView, ProjectDetailView, ProjectListView
from reviews.api.checks import RequestChecksView
from reviews.api.gate import GateQueryView
from reviews.api.requests import (
    RequestDetailView,
    RequestListView,
    RequestRerunView,
    RequestResubmitView,
    RequestWithdrawView,
    SignOffCreateView,
)

urlpatterns = [
    path("levels/", LevelListView.as_view(), name="api-levels"),
    path("projects/", ProjectListView.as_view(), name="api-projects"),
    path("projects/<slug:slug>/", ProjectDetailView.as_view(), name="api-project"),
    path("projects/<slug:slug>/gate/", GateQueryView.as_view(), name="api-gate"),
    path("projects/<slug:slug>/evidence/", EvidenceView.as_view(), name="api-evidence"),
    path("requests/", RequestListView.as_view(), name="api-requests"),
    path("requests/<int:pk>/", RequestDetailView.as_view(), name="api-request"),
    path("requests/<int:pk>/withdraw/", RequestWithdrawView.as_view(), name="api-request-withdraw"),
    path("requests/<int:pk>/resubmit/", RequestResubmitView.as_view(), name="api-request-resubmit"),
    path("requests/<int:pk>/signoffs/", SignOffCreateView.as_view(), name="api-request-signoffs"),
    path("requests/<int:pk>/rerun/", RequestRerunView.as_view(), name="api-request-rerun"),
    path("requests/<int:pk>/checks/", RequestChecksView.as_view(), name="api-request-checks"),
]
