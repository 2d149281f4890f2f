"""REST endpoints of the review workflow (read side of a request's checks, for now).

Every object comes from the permission entry point: a request on a project the
user cannot see answers 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from gates.selectors_runs import run_progress_for
from projects.api.base import ApiView, error_responses

from ..selectors import request_requirements, request_verdict
from .requests import reachable_request


class CheckResultOut(serializers.Serializer):
    check_key = serializers.CharField()
    required = serializers.BooleanField()
    outcome = serializers.CharField()
    message = serializers.CharField()
    evidence = serializers.JSONField()
    fix = serializers.CharField()


class CheckRunOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    commit_sha = serializers.CharField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    message = serializers.CharField()
    error_kind = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class RequestChecksOut(serializers.Serializer):
    request = serializers.IntegerField()
    state = serializers.CharField()
    commit_sha = serializers.CharField()
    progress = serializers.CharField(help_text='For people, e.g. "4 of 11 checks done."')
    run = CheckRunOut(allow_null=True)
    results = CheckResultOut(many=True)
    approved = serializers.BooleanField(help_text="Whether the gate holds now.")
    missing = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())


class RequestChecksView(ApiView):
    """Progress and results of the checks of one level-change request, and the gate verdict."""

    @extend_schema(
        responses={200: RequestChecksOut, **error_responses(404)},
        operation_id="request_checks_retrieve",
    )
    def get(self, request: Request, pk: int) -> Response:
        # Like the request itself: also the caller's own request on a project they
        # no longer see (they left the team), so they can follow it to its end.
        level_request = reachable_request(request, pk)
        required = set(request_requirements(level_request).required_checks)
        progress = run_progress_for(
            project=level_request.project,
            commit_sha=level_request.commit_sha,
            request_id=level_request.pk,
        )
        verdict = request_verdict(level_request)
        run = progress.run
        body = {
            "request": level_request.pk,
            "state": level_request.state,
            "commit_sha": level_request.commit_sha,
            "progress": progress.label,
            "run": None
            if run is None
            else {
                "id": run.pk,
                "status": run.status,
                "commit_sha": run.commit_sha,
                "progress_done": run.progress_done,
                "progress_total": run.progress_total,
                "message": run.message,
                "error_kind": run.error_kind,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
            },
            "results": [
                {
                    "check_key": r.check_key,
                    "required": r.check_key in required,
                    "outcome": r.outcome,
                    "message": r.message,
                    "evidence": r.evidence,
                    "fix": r.fix,
                }
                for r in progress.results
            ],
            "approved": verdict.approved,
            "missing": list(verdict.missing),
            "warnings": list(verdict.warnings),
        }
        return Response(RequestChecksOut(body).data)
