"""Top-level URL configuration: each app's pages under its own namespace."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from mltrl_site.api_docs import RedocView, SwaggerView
from projects.api.errors import UNROUTED, unrouted
from reviews.views import root

admin.site.site_header = "mltrl administration"
admin.site.site_title = "mltrl"

# Signing in, out and changing a password: Django's views with the app's templates
# (templates/registration/). Logging out is a POST (Django 5 refuses GET).
account_urls = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
]

urlpatterns = [
    path("", root, name="root"),
    path("accounts/", include(account_urls)),
    path("accounts/tokens/", include("projects.urls_tokens")),
    path("", include("reviews.urls")),
    path("", include("gates.urls")),
    path("projects/", include("projects.urls")),
    path("projects/<slug:slug>/webhooks/", include("webhooks.urls")),
    path("teams/", include("projects.urls_teams")),
    path("notifications/", include("notifications.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/v1/", include("mltrl_site.urls_api")),
    # Last: any other path under /api/ answers the API's JSON 404 (every method).
    re_path(r"^api/(?P<rest>.*)$", unrouted, name=UNROUTED),
]

# Refused requests, unrouted URLs and crashes under /api/ answer in the API's error format.
handler400 = "projects.api.errors.bad_request"
handler404 = "projects.api.errors.not_found"
handler500 = "projects.api.errors.server_error"
