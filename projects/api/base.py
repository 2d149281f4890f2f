"""One base for every API view: authentication, token scopes and project restriction,
pagination, throttling and the error format (``projects.api.errors``).

- Safe methods need the token scope ``read``; writes the view's ``write_scope``
  (a view without one refuses tokens); ``session_only`` views (sign-offs) refuse
  tokens altogether: people grant protected levels.
- ``api_projects(request, action)`` is the permission entry point cut to the
  token's project restriction; every API queryset of projects starts there.
- ``StrictInput`` is the base of every write body: a field the endpoint does not
  take is a 400 naming it, never silently ignored.
"""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.utils import html
from rest_framework.views import APIView

from projects.query_params import MAX_BIGINT

from .access import TokenScopePermission, api_projects, request_token
from .errors import ERROR_STATUSES

__all__ = [
    "COMMIT_PATTERN",
    "PAGINATED",
    "ApiGenericView",
    "ApiView",
    "BooleanChoiceFilter",
    "CommitField",
    "IntegerFilter",
    "StrictInput",
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


UNKNOWN_FIELD = "This endpoint does not take this field (unknown or read-only)."
BLANK_FIELD = "This field may not be blank."
NOT_BOOLEAN = "Must be a valid boolean: true or false."
OBJECT_IN_FORM = "An object: send the body as JSON (Content-Type: application/json)."


class StrictInput(serializers.Serializer):
    """Base of every API write body.

    DRF drops fields a serializer does not declare, so a PATCH of a read-only
    ``slug`` or a misspelt card section answered 200 having changed nothing; here
    each such field is a 400 naming it. In a form body DRF also reads an empty value
    of an optional field as "not sent"; an empty value is refused the way JSON's
    ``""`` is, unless the field may be blank. A boolean is ``true`` or ``false`` (in
    a form, those words), not DRF's ``1``, ``"yes"`` or ``"on"``, as the schema says;
    in JSON every value has its schema type (``_json_type_problem``).
    """

    def to_internal_value(self, data: object) -> dict:
        if hasattr(data, "keys"):
            form = html.is_html_input(data)
            errors: dict[str, list[str]] = {}
            for name in data:
                # A form may send a list as ``events[0]``, ``events[1]``.
                field = self.fields.get(name.split("[", 1)[0] if form else name)
                if field is None or field.read_only:
                    errors[name] = [UNKNOWN_FIELD]
                elif form and data.get(name) == "" and not _may_be_empty(field):
                    errors[name] = [BLANK_FIELD]
                elif form and isinstance(field, serializers.DictField | serializers.Serializer):
                    # DRF reads an object from a form only as ``name.key`` fields
                    # (refused above); a whole ``name`` value would be dropped.
                    errors[name] = [OBJECT_IN_FORM]
                elif isinstance(field, serializers.BooleanField) and not _boolean(
                    data.get(name), form
                ):
                    errors[name] = [NOT_BOOLEAN]
                elif not form and (problem := _json_type_problem(field, data.get(name))):
                    errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _json_type_problem(field: serializers.Field, value: object) -> str:
    """In JSON a value has the type the schema gives it: DRF would take ``0`` for a
    string and ``"3"`` or ``true`` for a number. Checked one level into lists."""
    if value is None:
        return ""
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(filter(None, (_json_type_problem(field.child, v) for v in value)), "")
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return "A string (text in quotes)."
    if isinstance(field, serializers.IntegerField) and (
        isinstance(value, bool) or not isinstance(value, int)
    ):
        return "A whole number (no quotes)."
    if isinstance(field, serializers.FloatField) and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        return "A number (no quotes)."
    return ""


def _boolean(value: object, form: bool) -> bool:
    return value in ("true", "false") if form else isinstance(value, bool)


def _may_be_empty(field: serializers.Field) -> bool:
    """An empty form value is accepted where JSON's ``""`` (or null: a form has none) is."""
    return bool(getattr(field, "allow_blank", False) or field.allow_null)


COMMIT_PATTERN = "^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"


@extend_schema_field(
    {"type": "string", "pattern": COMMIT_PATTERN, "description": "A full commit SHA."}
)
class CommitField(serializers.CharField):
    """A commit SHA, documented as the server takes it: 40 (SHA-1) or 64 (SHA-256) hex
    characters; the serializer's ``validate_commit`` checks it (``clean_commit_sha``)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)


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


@extend_schema_field(OpenApiTypes.INT)
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
