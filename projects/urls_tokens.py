"""The account's API token pages (namespace ``tokens``, under ``/accounts/tokens/``)."""

from django.urls import path

from . import views_tokens

app_name = "tokens"

urlpatterns = [
    path("", views_tokens.token_list, name="list"),
    path("new/", views_tokens.token_new, name="new"),
    path("<str:prefix>/revoke/", views_tokens.token_revoke_view, name="revoke"),
]
