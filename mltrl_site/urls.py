"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from reviews.api import RequestChecksView

admin.site.site_header = "mltrl administration"
admin.site.site_title = "mltrl"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/v1/requests/<int:pk>/checks/",
        RequestChecksView.as_view(),
        name="api-request-checks",
    ),
]
