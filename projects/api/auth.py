"""Token authentication for the API: ``Authorization: Bearer mltrl_<prefix>_<secret>``.

``request.user`` is the token's user and ``request.auth`` the ``ApiToken``; the
scope and project restriction are enforced by ``projects.api.base``.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from projects.tokens import token_authenticate


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one token after 'Bearer'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token is not ASCII.") from None
        token = token_authenticate(raw, address=request.META.get("REMOTE_ADDR"))
        if token is None:
            raise exceptions.AuthenticationFailed(
                "The token is unknown, expired or revoked; create a new one."
            )
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "projects.api.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "mltrl_<prefix>_<secret>",
            "description": "An API token (manage.py token create, or your account page).",
        }
