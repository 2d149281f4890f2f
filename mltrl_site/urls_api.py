"""The API, version 1 (``/api/v1/``): every app's endpoints, one line each.

URL names keep the ``api-`` prefix without a namespace, so the status endpoint's
name (``api-request-checks``) stays what it was.
"""

from django.urls import path

from gates.api.evidence import EvidenceView
from gates.api.policies import PolicyDiffView, PolicyExportView, PolicyImportView, PolicyListView
from gates.api.runs import RunDetailView, RunListView
from portfolio.api import PortfolioTableView, PortfolioView
from projects.api.cards import (
    AuditHistoryView,
    CardDiffView,
    CardExportView,
    CardVersionListView,
    CardView,
    LevelAtView,
)
from projects.api.views import LevelListView
from projects.api.writes import ProjectCollectionView, ProjectItemView, TeamListView
from reviews.api.checks import RequestChecksView
from reviews.api.gate import GateQueryView
from reviews.api.hooks import GitHubPushHook, GitLabPushHook
from reviews.api.requests import (
    RequestDetailView,
    RequestListView,
    RequestRerunView,
    RequestResubmitView,
    RequestSubmitView,
    RequestWithdrawView,
    SignOffCreateView,
)
from reviews.api.waivers import WaiverListView
from webhooks.api import (
    DeliveryListView,
    RedeliverView,
    SubscriptionItemView,
    SubscriptionListView,
)

urlpatterns = [
    path("levels/", LevelListView.as_view(), name="api-levels"),
    path("projects/", ProjectCollectionView.as_view(), name="api-projects"),
    path("projects/<slug:slug>/", ProjectItemView.as_view(), name="api-project"),
    path("projects/<slug:slug>/card/", CardView.as_view(), name="api-card"),
    path(
        "projects/<slug:slug>/card/versions/",
        CardVersionListView.as_view(),
        name="api-card-versions",
    ),
    path("projects/<slug:slug>/card/diff/", CardDiffView.as_view(), name="api-card-diff"),
    path("projects/<slug:slug>/card/export/", CardExportView.as_view(), name="api-card-export"),
    path("projects/<slug:slug>/audit/", AuditHistoryView.as_view(), name="api-audit"),
    path("projects/<slug:slug>/level-at/", LevelAtView.as_view(), name="api-level-at"),
    path("policies/", PolicyListView.as_view(), name="api-policies"),
    path("policies/<slug:key>/export/", PolicyExportView.as_view(), name="api-policy-export"),
    path("policies/<slug:key>/import/", PolicyImportView.as_view(), name="api-policy-import"),
    path("policies/<slug:key>/diff/", PolicyDiffView.as_view(), name="api-policy-diff"),
    path("teams/", TeamListView.as_view(), name="api-teams"),
    path("portfolio/", PortfolioView.as_view(), name="api-portfolio"),
    path("portfolio/<slug:key>/", PortfolioTableView.as_view(), name="api-portfolio-table"),
    path("projects/<slug:slug>/gate/", GateQueryView.as_view(), name="api-gate"),
    path("projects/<slug:slug>/evidence/", EvidenceView.as_view(), name="api-evidence"),
    path("hooks/github/", GitHubPushHook.as_view(), name="api-hook-github"),
    path("hooks/gitlab/", GitLabPushHook.as_view(), name="api-hook-gitlab"),
    path("requests/", RequestListView.as_view(), name="api-requests"),
    path("requests/<int:pk>/", RequestDetailView.as_view(), name="api-request"),
    path("requests/<int:pk>/withdraw/", RequestWithdrawView.as_view(), name="api-request-withdraw"),
    path("requests/<int:pk>/submit/", RequestSubmitView.as_view(), name="api-request-submit"),
    path("requests/<int:pk>/resubmit/", RequestResubmitView.as_view(), name="api-request-resubmit"),
    path("requests/<int:pk>/signoffs/", SignOffCreateView.as_view(), name="api-request-signoffs"),
    path("requests/<int:pk>/rerun/", RequestRerunView.as_view(), name="api-request-rerun"),
    path("requests/<int:pk>/checks/", RequestChecksView.as_view(), name="api-request-checks"),
    path("webhooks/", SubscriptionListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", SubscriptionItemView.as_view(), name="api-webhook"),
    path(
        "webhooks/<int:pk>/deliveries/", DeliveryListView.as_view(), name="api-webhook-deliveries"
    ),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery>/redeliver/",
        RedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
    path("runs/", RunListView.as_view(), name="api-runs"),
    path("runs/<int:pk>/", RunDetailView.as_view(), name="api-run"),
    path("waivers/", WaiverListView.as_view(), name="api-waivers"),
]
