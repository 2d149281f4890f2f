"""The portfolio as JSON: ``/api/v1/portfolio/`` (every table) and ``.../<key>/`` (one).

On the API's base classes (``projects.api.base``): session or token (scope
``read``), throttling, the error format; the same filters as the page, over the
projects ``api_projects`` gives the caller (a project-restricted token sees the
numbers of its projects only). A bad filter answers 400 with the parameter in
``fields``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import ApiView, api_projects, error_responses
from projects.api.errors import django_validation_to_drf

from .dashboard import BUILDERS, dashboard_tables
from .filters import Filters, filters_parse

TABLE = inline_serializer(
    "PortfolioTable",
    {
        "key": serializers.CharField(),
        "title": serializers.CharField(),
        "note": serializers.CharField(),
        "columns": serializers.ListField(
            child=serializers.DictField(child=serializers.CharField())
        ),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)
FILTERS = inline_serializer(
    "PortfolioFilters",
    {
        "team": serializers.ListField(child=serializers.CharField()),
        "phase": serializers.CharField(),
        "level_min": serializers.IntegerField(),
        "level_max": serializers.IntegerField(),
        "status": serializers.CharField(),
        "days": serializers.IntegerField(),
    },
)
LEVEL = {"type": "integer", "minimum": 0, "maximum": 9}
PARAMETERS = [
    OpenApiParameter("team", str, many=True, description="Team slug (repeatable)."),
    OpenApiParameter(
        "phase", str, enum=["research", "prototyping", "productization", "deployment"]
    ),
    OpenApiParameter("level_min", LEVEL, description="Lowest level, 0-9."),
    OpenApiParameter("level_max", LEVEL, description="Highest level, 0-9 (not below level_min)."),
    OpenApiParameter("status", str, enum=["active", "paused", "retired"]),
    OpenApiParameter(
        "days",
        {"type": "integer", "minimum": 1, "maximum": 3650},
        description="Time window for events in days (default 90).",
    ),
]


def _filters(request: Request) -> Filters:
    try:
        return filters_parse(request.query_params)
    except ValidationError as error:
        raise django_validation_to_drf(error, frozenset(request.query_params)) from None


def _filters_json(f: Filters) -> dict:
    return {
        "team": list(f.teams),
        "phase": f.phase,
        "level_min": f.level_min,
        "level_max": f.level_max,
        "status": f.status,
        "days": f.days,
    }


class PortfolioView(ApiView):
    """Every portfolio table over the projects the caller may see."""

    @extend_schema(
        operation_id="portfolio",
        summary="Every portfolio table over the projects you may see.",
        description=(
            "Every row of every table, not paginated: the same rows as the CSV exports "
            "(the page shows at most 25 per table). The longest table, waiting_on, has "
            "one row per role, owning team and signer scope."
        ),
        parameters=PARAMETERS,
        responses={
            200: inline_serializer(
                "Portfolio", {"filters": FILTERS, "tables": serializers.ListField(child=TABLE)}
            ),
            **error_responses(400),
        },
    )
    def get(self, request: Request) -> Response:
        f = _filters(request)
        tables = dashboard_tables(request.user, f, visible=api_projects(request))
        return Response({"filters": _filters_json(f), "tables": [t.as_json() for t in tables]})


class PortfolioTableView(ApiView):
    """One portfolio table."""

    @extend_schema(
        operation_id="portfolio_table",
        summary="One portfolio table.",
        description="Every row of the table, not paginated (the same rows as its CSV).",
        parameters=[
            OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(BUILDERS)),
            *PARAMETERS,
        ],
        responses={200: TABLE, **error_responses(400, 404)},
    )
    def get(self, request: Request, key: str) -> Response:
        if key not in BUILDERS:
            raise Http404("No such portfolio table.")
        f = _filters(request)
        (table,) = dashboard_tables(request.user, f, only=key, visible=api_projects(request))
        return Response(table.as_json())
