"""API for a project's MLTRL card (read, update sections, versions, diff, export),
its audit history and its level on a date. Reads share the pages' selectors."""

from __future__ import annotations

from datetime import UTC

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from projects.cards import card_content, card_diff, card_json, card_markdown
from projects.models import AuditEvent, CardSection
from projects.query_params import MAX_POSITIVE_INT, whole_number
from projects.selectors import project_level_at
from projects.selectors_pages import card_version_get, card_versions
from projects.services import card_update
from projects.timeline import event_sentence

from .base import (
    PAGINATED,
    ApiGenericView,
    ApiView,
    StrictInput,
    api_projects,
    error_responses,
)

CardUpdateIn = type(
    "CardUpdateIn",
    (StrictInput,),
    {
        name: serializers.CharField(required=False, allow_blank=True, max_length=20_000)
        for name in CardSection.values
    },
)


class CardVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    level = serializers.IntegerField(min_value=0, max_value=9)
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class CardDiffOut(serializers.Serializer):
    part = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    diff = serializers.CharField()


def _project(request: Request, slug: str):
    return get_object_or_404(api_projects(request).select_related("team"), slug=slug)


def _version(project, raw: str | None, name: str):
    number = whole_number(raw, low=1, high=MAX_POSITIVE_INT)
    if number is None:
        raise exceptions.ValidationError(
            {name: ["A version number is required: a whole number from 1, such as 3."]}
        )
    found = card_version_get(project, number)
    if found is None:
        raise exceptions.NotFound(f"The card has no version {number}.")
    return found


class CardView(ApiView):
    """The live card as data; PATCH writes sections (people only: no token scope)."""

    @extend_schema(responses={200: dict, **error_responses(404)})
    def get(self, request: Request, slug: str) -> Response:
        return Response(card_content(_project(request, slug)))

    @extend_schema(
        request=CardUpdateIn, responses={200: dict, **error_responses(400, 401, 403, 404, 429)}
    )
    def patch(self, request: Request, slug: str) -> Response:
        data = CardUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        project = _project(request, slug)
        card_update(project=project, actor=request.user, **data.validated_data)
        return Response(card_content(project))


class CardVersionListView(ApiView):
    """The card's frozen versions, newest first (one per level change)."""

    @extend_schema(responses={200: CardVersionOut(many=True), **error_responses(404)})
    def get(self, request: Request, slug: str) -> Response:
        versions = card_versions(_project(request, slug))
        return Response(CardVersionOut(versions, many=True).data)


class CardDiffView(ApiView):
    """What changed in the card between two versions, part by part."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True),
            OpenApiParameter("to", int, required=True),
        ],
        responses={200: CardDiffOut(many=True), **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        older = _version(project, request.query_params.get("from"), "from")
        newer = _version(project, request.query_params.get("to"), "to")
        return Response(CardDiffOut(card_diff(older, newer), many=True).data)


class CardExportView(ApiView):
    """The live card, or a version, as Markdown or JSON (a file body)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("as", str, enum=["markdown", "json"], required=False),
            OpenApiParameter("version", int, required=False),
        ],
        responses={
            (200, "text/markdown"): str,
            (200, "application/json"): dict,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        project = _project(request, slug)
        as_ = request.query_params.get("as", "markdown")
        if as_ not in ("markdown", "json"):
            raise exceptions.ValidationError({"as": ["Use markdown or json."]})
        version = request.query_params.get("version")
        content = _version(project, version, "version").content if version else None
        content = content if content is not None else card_content(project)
        if as_ == "json":
            return HttpResponse(card_json(content), content_type="application/json")
        return HttpResponse(card_markdown(content), content_type="text/markdown; charset=utf-8")


class AuditEventOut(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    sentence = serializers.CharField()
    payload = serializers.JSONField()
    created_at = serializers.DateTimeField()
    hash = serializers.CharField()


class AuditHistoryView(ApiGenericView):
    """The project's audit events, oldest first, paginated (the hash chain's order)."""

    serializer_class = AuditEventOut
    filter_backends = ()  # always the chain's order: no filters, no ``ordering``

    def get_queryset(self):
        return AuditEvent.objects.none()

    @extend_schema(responses={200: AuditEventOut(many=True), **error_responses(*PAGINATED)})
    def get(self, request: Request, slug: str) -> Response:
        project = _project(request, slug)
        events = AuditEvent.objects.filter(project=project).select_related("actor").order_by("seq")
        page = self.paginate_queryset(events)
        rows = [
            {
                "seq": e.seq,
                "kind": e.kind,
                "actor": e.actor.get_username() if e.actor else None,
                "sentence": event_sentence(e.kind, e.payload),
                "payload": e.payload,
                "created_at": e.created_at,
                "hash": e.hash,
            }
            for e in page
        ]
        return self.get_paginated_response(AuditEventOut(rows, many=True).data)


class LevelAtOut(serializers.Serializer):
    project = serializers.CharField()
    at = serializers.DateTimeField()
    level = serializers.IntegerField(allow_null=True, help_text="null: not registered yet")


class LevelAtView(ApiView):
    """The project's granted level at a moment, answered from its audit record."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at",
                {"type": "string", "format": "date-time", "minLength": 1},
                required=True,
                description="ISO 8601 time with a zone (2026-01-31T12:00:00Z); else a 400.",
            )
        ],
        responses={200: LevelAtOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        raw = request.query_params.get("at", "")
        try:
            at = parse_datetime(raw)
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            raise exceptions.ValidationError(
                {"at": ["An ISO 8601 time with a zone, e.g. 2026-01-31T12:00:00Z."]}
            )
        try:
            # In UTC: PostgreSQL refuses offsets beyond +-15:59 (+16:52 was a 500).
            at = at.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-12:00 is in year 10000 in UTC
            raise exceptions.ValidationError(
                {"at": ["A time between the years 1 and 9999 once in UTC."]}
            ) from None
        project = _project(request, slug)
        return Response(
            LevelAtOut(
                {"project": project.slug, "at": at, "level": project_level_at(project, at)}
            ).data
        )
