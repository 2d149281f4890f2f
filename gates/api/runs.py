"""Check runs over the API: list (filter by project, request, status, commit) and one
run with its results.

Runs come from the caller's visible projects (``api_projects``, the permission
entry point cut to a token's restriction): a run of a project the caller may not
see answers 404. Read only: runs are started by requests, pushes, the schedule
and ``POST /api/v1/requests/<id>/rerun/``.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import (
    PAGINATED,
    ApiGenericView,
    ApiView,
    IntegerFilter,
    api_projects,
    error_responses,
)

from ..models import CheckResult, CheckRun, CheckRunStatus


class RunOut(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.slug")
    request = serializers.IntegerField(
        source="request_id", allow_null=True, help_text="The level-change request that asked."
    )
    # Declared, not derived: the model's integer range differs between databases.
    progress_done = serializers.IntegerField(min_value=0)
    progress_total = serializers.IntegerField(min_value=0)
    duplicate_of = serializers.IntegerField(
        source="duplicate_of_id",
        allow_null=True,
        help_text="A cancelled duplicate: the run that holds this commit's results.",
    )

    class Meta:
        model = CheckRun
        fields = [
            "id",
            "url",
            "project",
            "request",
            "commit_sha",
            "ref",
            "trigger",
            "status",
            "progress_done",
            "progress_total",
            "message",
            "error_kind",
            "duplicate_of",
            "created_at",
            "started_at",
            "finished_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_url(self, run: CheckRun) -> str:
        return reverse("api-run", kwargs={"pk": run.pk})


class RunResultOut(serializers.ModelSerializer):
    class Meta:
        model = CheckResult
        fields = ["check_key", "outcome", "message", "evidence", "fix"]


class RunDetailOut(RunOut):
    results = RunResultOut(many=True, source="results.all")

    class Meta(RunOut.Meta):
        fields = [*RunOut.Meta.fields, "results"]


class RunFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    request = IntegerFilter(field_name="request_id")
    status = django_filters.MultipleChoiceFilter(choices=CheckRunStatus.choices)
    commit = django_filters.CharFilter(field_name="commit_sha", lookup_expr="iexact")

    class Meta:
        model = CheckRun
        fields = ["project", "request", "status", "commit"]


def _runs(request: Request):
    return CheckRun.objects.filter(project__in=api_projects(request)).select_related("project")


@extend_schema(responses={200: RunOut(many=True), **error_responses(*PAGINATED)})
class RunListView(ApiGenericView):
    """Check runs on the caller's visible projects, newest first."""

    serializer_class = RunOut
    filterset_class = RunFilter
    ordering_fields = ["created_at", "finished_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return _runs(self.request)

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RunDetailView(ApiView):
    """One check run with every result (outcome, message, evidence, how to fix)."""

    @extend_schema(responses={200: RunDetailOut, **error_responses(404)})
    def get(self, request: Request, pk: int) -> Response:
        results = Prefetch("results", queryset=CheckResult.objects.order_by("check_key"))
        run = get_object_or_404(_runs(request).prefetch_related(results), pk=pk)
        return Response(RunDetailOut(run).data)
