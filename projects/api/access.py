"""Classes the REST framework settings name: scope permission, pagination, throttle.

Kept apart from ``projects.api.base`` because settings-loaded classes must not
import ``rest_framework.views`` (a circular import at start-up).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, permissions, throttling
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from projects.models import ApiToken, TokenScope
from projects.permissions import Action, projects_for


def request_token(request: Request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def api_projects(request: Request, action: Action = Action.VIEW) -> QuerySet:
    """Projects the caller may ``action``: the user's, cut to the token's restriction."""
    qs = projects_for(request.user, action)
    token = request_token(request)
    if token is not None and token.project_ids:
        qs = qs.filter(pk__in=token.project_ids)
    return qs


class TokenScopePermission(permissions.BasePermission):
    """Authenticated; a token must carry the scope this method needs."""

    message = "Not allowed."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request_token(request)
        if token is None:
            return True
        if getattr(view, "session_only", False) and request.method not in permissions.SAFE_METHODS:
            self.message = "API tokens cannot do this; a person signed in must."
            return False
        if request.method in permissions.SAFE_METHODS:
            needed = TokenScope.READ.value
        else:
            needed = getattr(view, "write_scope", None)
            if needed is None:
                self.message = "API tokens cannot do this; sign in."
                return False
        if not token.has_scope(needed):
            self.message = f"This token lacks the scope {needed!r}."
            return False
        return True


class Pagination(PageNumberPagination):
    """``page`` (a whole number from 1; past the last page is 404) and ``page_size``
    (1-200). Anything else is a 400 naming the parameter, never silently the default."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # no ``page=last``: the schema says a page is a number

    def _number(self, request: Request, name: str, high: int | None = None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= (high or int(raw)):
            return int(raw)
        to = f" to {high}" if high else ""
        raise exceptions.ValidationError({name: [f"A whole number from 1{to}."]})

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return self._number(request, self.page_query_param) or 1

    def get_page_size(self, request: Request) -> int:
        size = self._number(request, self.page_size_query_param, self.max_page_size)
        return size or self.page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class CallerThrottle(throttling.SimpleRateThrottle):
    """One budget per token (each token its own), per signed-in user, or per address."""

    scope = "caller"

    def get_cache_key(self, request: Request, view: Any) -> str:
        token = request_token(request)
        if token is not None:
            ident = f"token:{token.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
