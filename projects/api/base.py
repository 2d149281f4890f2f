"""One base for every API view: authentication, token scopes and project restriction,
pagination, throttling and the error format (``projects.api.errors``).

- Safe methods need the token scope ``read``; writes the view's ``write_scope``
  (a view without one refuses tokens); ``session_only`` views (sign-offs) refuse
  tokens altogether: people grant protected levels.
- ``api_projects(request, action)`` is the permission entry point cut to the
  token's project restriction; every API queryset of projects starts there.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.views import APIView

from projects.query_params import MAX_BIGINT

from .access import TokenScopePermission, api_projects, request_token
from .errors import ERROR_STATUSES

__all__ = [
    "PAGINATED",
    "ApiGenericView",
    "ApiView",
    "BooleanChoiceFilter",
    "IntegerFilter",
    "api_projects",
    "error_responses",
    "request_token",
]


class ApiMixin:
    permission_classes = [TokenScopePermission]
    write_scope: str | None = None
    session_only = False


class ApiView(ApiMixin, APIView):
    """Base of the API's plain views."""


class ApiGenericView(ApiMixin, generics.GenericAPIView):
    """Base of the API's list and detail views (filtering, ordering, pagination)."""


class _BoundedIntegerField(forms.IntegerField):
    """Whole numbers a database column can hold: a larger id is a 400, not a 500
    (SQLite cannot bind it to a foreign-key lookup)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", -MAX_BIGINT - 1)
        kwargs.setdefault("max_value", MAX_BIGINT)
        super().__init__(*args, **kwargs)
        self.error_messages["invalid"] = "A whole number, such as 12."
        self.error_messages["min_value"] = f"A whole number from {-MAX_BIGINT - 1}."
        self.error_messages["max_value"] = f"A whole number up to {MAX_BIGINT}."


class IntegerFilter(django_filters.NumberFilter):
    """A whole-number filter (``NumberFilter`` alone takes ``0.5``); documented as integer.

    Bounded to the 64-bit range: no id or level lies beyond it.
    """

    field_class = _BoundedIntegerField


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanChoiceFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false``, anything else a 400 (``BooleanFilter`` reads ``null`` or
    ``maybe`` as "no filter" and answers a list the caller did not ask for)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


ErrorOut = inline_serializer(
    "Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


EVERY_VIEW = (401, 403, 429)  # authentication, scopes and throttling apply to every view
PAGINATED = (400, 404)  # a bad ``page`` or ``page_size``; a ``page`` past the last one


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the error bodies an endpoint may answer: those named (none
    named: 404) and the ones every view may answer (401, 403, 429)."""
    chosen = sorted({*(statuses or (404,)), *EVERY_VIEW})
    return {s: OpenApiResponse(ErrorOut, description=ERROR_STATUSES[s]) for s in chosen}
