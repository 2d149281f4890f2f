"""Gate policies over the API: versions, export (TOML/JSON), import (administrators,
signed in), diff. Reads are open to any signed-in caller: policies are not secret."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import ApiView, StrictInput, error_responses

from ..models import GatePolicyVersion
from ..policy_documents import (
    policy_document_parse,
    policy_document_render,
    policy_import,
    policy_versions_diff,
)


def _version(key: str, number: str | int | None, name: str) -> GatePolicyVersion:
    versions = GatePolicyVersion.objects.filter(policy__key=key).order_by("-number")
    if number in (None, ""):
        found = versions.first()
    else:
        try:
            found = versions.filter(number=int(number)).first()
        except (TypeError, ValueError):
            raise exceptions.ValidationError({name: ["A version number."]}) from None
    if found is None:
        raise exceptions.NotFound(f"No such version of gate policy {key!r}.")
    return found


class PolicyVersionOut(serializers.Serializer):
    key = serializers.CharField(source="policy.key")
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    snapshot = serializers.JSONField()


class PolicyListView(ApiView):
    """The newest version of every gate policy."""

    @extend_schema(responses={200: PolicyVersionOut(many=True), **error_responses(401, 403)})
    def get(self, request: Request) -> Response:
        newest: dict[str, GatePolicyVersion] = {}
        for v in GatePolicyVersion.objects.select_related("policy").order_by(
            "policy__key", "-number"
        ):
            newest.setdefault(v.policy.key, v)
        return Response(PolicyVersionOut(list(newest.values()), many=True).data)


class PolicyExportView(ApiView):
    """A version (default: the newest) as a TOML or JSON document."""

    @extend_schema(
        parameters=[
            OpenApiParameter("as", str, enum=["toml", "json"], required=False),
            OpenApiParameter("version", int, required=False),
        ],
        responses={
            (200, "application/toml"): OpenApiTypes.STR,
            (200, "application/json"): OpenApiTypes.OBJECT,
            **error_responses(400, 404),
        },
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        fmt = request.query_params.get("as", "toml")
        if fmt not in ("toml", "json"):
            raise exceptions.ValidationError({"as": ["Use toml or json."]})
        version = _version(key, request.query_params.get("version"), "version")
        kind = "application/json" if fmt == "json" else "application/toml"
        return HttpResponse(policy_document_render(version.snapshot, fmt), content_type=kind)


class PolicyImportIn(StrictInput):
    format = serializers.ChoiceField(choices=["toml", "json"])
    document = serializers.CharField(max_length=100_000)


class PolicyImportView(ApiView):
    """Publish a document as the policy's next version (administrators, signed in)."""

    @extend_schema(
        request=PolicyImportIn,
        responses={201: PolicyVersionOut, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request: Request, key: str) -> Response:
        data = PolicyImportIn(data=request.data)
        data.is_valid(raise_exception=True)
        document = policy_document_parse(
            data.validated_data["document"], data.validated_data["format"]
        )
        version = policy_import(key=key, document=document, actor=request.user)
        return Response(PolicyVersionOut(version).data, status=status.HTTP_201_CREATED)


class PolicyChangeOut(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()


class PolicyDiffView(ApiView):
    """The fields that differ between two versions of a policy."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", int, required=True),
            OpenApiParameter("to", int, required=True),
        ],
        responses={200: PolicyChangeOut(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request: Request, key: str) -> Response:
        older = _version(key, request.query_params.get("from") or "x", "from")
        newer = _version(key, request.query_params.get("to") or "x", "to")
        changes = policy_versions_diff(older.snapshot, newer.snapshot)
        return Response(PolicyChangeOut(changes, many=True).data)
