"""GET /api/v1/projects/<slug>/gate/?level=N&commit=SHA: may this commit ship at level N?

Pipelines call it before deploying; the answer carries one sentence per reason
(``reviews.selectors_gate``), so a failed deploy says what to do.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from gates.services import clean_commit_sha
from projects.api.base import (
    COMMIT_PATTERN,
    ApiView,
    CommitField,
    api_projects,
    error_responses,
)
from projects.levels import HIGHEST_LEVEL, LOWEST_LEVEL

from ..selectors_gate import gate_answer


class GateQueryIn(serializers.Serializer):
    level = serializers.IntegerField(min_value=LOWEST_LEVEL, max_value=HIGHEST_LEVEL)
    commit = CommitField()

    def validate_commit(self, value: str) -> str:
        try:
            return clean_commit_sha(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class GateItemOut(serializers.Serializer):
    check = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    state = serializers.ChoiceField(choices=["pass", "waived", "failing", "missing"])
    message = serializers.CharField()


class GateAnswerOut(serializers.Serializer):
    project = serializers.CharField()
    allowed = serializers.BooleanField()
    level = serializers.IntegerField()
    commit_sha = serializers.CharField()
    granted_level = serializers.IntegerField()
    evidence_level = serializers.IntegerField(
        help_text="Highest level whose required checks all pass on this commit (no waivers)."
    )
    reasons = serializers.ListField(child=serializers.CharField())
    items = GateItemOut(many=True)


class GateQueryView(ApiView):
    """Whether ``commit`` of the project may ship at ``level``, with the reasons if not."""

    @extend_schema(
        parameters=[
            OpenApiParameter("level", int, required=True),
            OpenApiParameter(
                "commit",
                {"type": "string", "pattern": COMMIT_PATTERN},
                required=True,
                description="A full commit SHA: 40 or 64 hex characters.",
            ),
        ],
        responses={200: GateAnswerOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request, slug: str) -> Response:
        query = GateQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        project = get_object_or_404(api_projects(request), slug=slug)
        answer = gate_answer(
            project=project,
            level=query.validated_data["level"],
            commit_sha=query.validated_data["commit"],
        )
        body = {"project": project.slug, **answer.__dict__}
        body["items"] = [item.__dict__ for item in answer.items]
        return Response(GateAnswerOut(body).data)
