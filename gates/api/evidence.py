"""POST /api/v1/projects/<slug>/evidence/: CI reports a check result for a commit.

Needs a token with ``evidence:write`` (or a signed-in session) of someone who
may request level changes on the project; idempotent under ``Idempotency-Key``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import ApiView, CommitField, StrictInput, api_projects, error_responses
from projects.api.idempotency import HEADER, idempotent
from projects.models import TokenScope

from ..models import CheckOutcome
from ..services import clean_commit_sha, external_result_record


class MetricValue(serializers.FloatField):
    """A number; ``true``/``false`` are not (DRF's float field would read them as 1 and 0)."""

    def to_internal_value(self, data: object) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class EvidenceIn(StrictInput):
    commit = CommitField(help_text="full commit SHA")
    check = serializers.RegexField(r"^[a-z0-9][a-z0-9_.:-]{0,63}$", help_text="check name")
    status = serializers.ChoiceField(choices=CheckOutcome.choices)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    metrics = serializers.DictField(child=MetricValue(), required=False, default=dict)

    def validate_metrics(self, value: dict) -> dict:
        if len(value) > 50 or any(len(k) > 64 or "\x00" in k for k in value):
            raise serializers.ValidationError(
                "At most 50 metrics, names up to 64 characters (no NUL)."
            )
        return value

    def validate_commit(self, value: str) -> str:
        try:
            return clean_commit_sha(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.CharField()
    commit = serializers.CharField()
    check = serializers.CharField()
    status = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.CharField()
    metrics = serializers.DictField(child=serializers.FloatField())
    created_at = serializers.DateTimeField()


class EvidenceView(ApiView):
    """Post one CI result (tests, coverage, evaluation metrics) for a commit."""

    write_scope = TokenScope.EVIDENCE_WRITE.value

    @extend_schema(
        request=EvidenceIn,
        parameters=[OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, required=False)],
        responses={
            201: EvidenceOut,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        data = EvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        project = get_object_or_404(api_projects(request), slug=slug)
        values = data.validated_data

        def write() -> Response:
            with transaction.atomic():
                result = external_result_record(
                    project=project,
                    commit_sha=values["commit"],
                    check_key=values["check"],
                    outcome=values["status"],
                    message=values["summary"],
                    details={"url": values["url"], "metrics": values["metrics"]},
                    actor=request.user,
                )
            body = {
                "id": result.pk,
                "project": project.slug,
                "commit": result.commit_sha,
                "check": result.check_key,
                "status": result.outcome,
                "summary": result.message,
                "url": values["url"],
                "metrics": values["metrics"],
                "created_at": result.created_at,
            }
            return Response(EvidenceOut(body).data, status=status.HTTP_201_CREATED)

        return idempotent(request, write)
