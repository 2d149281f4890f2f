"""Level-change requests over the API: list, detail with the gate evaluation, open,
withdraw, submit a draft, resubmit; sign-offs (by people signed in, never tokens); re-run checks.

Writes call ``reviews.services``; the request comes from the caller's visible
projects (``api_projects``), so what a caller may not see answers 404.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from gates.models import CheckRun
from gates.services import clean_commit_sha
from projects.api.base import (
    PAGINATED,
    ApiGenericView,
    ApiView,
    CommitField,
    StrictInput,
    api_projects,
    error_responses,
    request_token,
)
from projects.models import TokenScope
from projects.permissions import Action, requests_reachable

from .. import services
from ..evaluation import gate_evaluate
from ..models import Decision, LevelChangeRequest, RequestKind, RequestState, SwitchbackKind
from ..selectors import request_gate_facts


class RequestOut(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug")
    requester = serializers.CharField(source="requester.username")
    from_level = serializers.IntegerField(min_value=0, max_value=9)
    to_level = serializers.IntegerField(min_value=0, max_value=9)
    url = serializers.SerializerMethodField()

    class Meta:
        model = LevelChangeRequest
        fields = [
            "id",
            "url",
            "project",
            "kind",
            "switchback_kind",
            "from_level",
            "to_level",
            "state",
            "requester",
            "reason",
            "commit_sha",
            "created_at",
            "updated_at",
            "decided_at",
        ]

    def get_url(self, obj: LevelChangeRequest) -> str:
        return reverse("api-request", kwargs={"pk": obj.pk})


class SignOffOut(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = serializers.CharField(source="reviewer.username")
    role = serializers.CharField(source="role.key")
    team = serializers.CharField(source="team.slug")
    decision = serializers.CharField()
    independent = serializers.BooleanField()
    comment = serializers.CharField()
    tasks = serializers.ListField(child=serializers.CharField())
    commit_sha = serializers.CharField()
    active = serializers.BooleanField()
    stale = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WaiverOut(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(
        source="request_id", help_text="The request it was granted on."
    )
    check_key = serializers.CharField()
    granted_by = serializers.CharField(source="granted_by.username")
    role = serializers.CharField(source="role.key")
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class CheckFactOut(serializers.Serializer):
    check = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    message = serializers.CharField()
    waived = serializers.BooleanField()


class SlotOut(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    scope = serializers.CharField()
    filled_by = serializers.ListField(child=serializers.CharField())


class GateOut(serializers.Serializer):
    approved = serializers.BooleanField(help_text="Whether the gate holds now.")
    missing = serializers.ListField(child=serializers.CharField(), help_text="One sentence each.")
    warnings = serializers.ListField(child=serializers.CharField())
    slots = SlotOut(many=True)
    checks = CheckFactOut(many=True)
    empty_card_sections = serializers.ListField(child=serializers.CharField())


class RequestDetailOut(RequestOut):
    gate = serializers.SerializerMethodField()
    signoffs = SignOffOut(many=True, source="signoffs.all")
    # Waivers granted on this request only (the project's others: /api/v1/waivers/).
    waivers = WaiverOut(many=True, source="waivers.all")

    class Meta(RequestOut.Meta):
        fields = [*RequestOut.Meta.fields, "gate", "signoffs", "waivers"]

    @extend_schema_field(GateOut)
    def get_gate(self, obj: LevelChangeRequest) -> dict:
        facts = request_gate_facts(obj)
        verdict = gate_evaluate(facts)
        return GateOut(
            {
                "approved": verdict.approved,
                "missing": list(verdict.missing),
                "warnings": list(verdict.warnings),
                "slots": [
                    {
                        "roles": list(s.slot.roles),
                        "count": s.slot.count,
                        "scope": s.slot.scope,
                        "filled_by": list(s.filled_by),
                    }
                    for s in verdict.slots
                ],
                "checks": [
                    {
                        "check": key,
                        "outcome": st.outcome,
                        "message": st.message,
                        "waived": key in facts.waived_checks,
                    }
                    for key, st in facts.checks.items()
                ],
                "empty_card_sections": list(facts.empty_card_sections),
            }
        ).data


def _requests(request: Request, action: Action = Action.VIEW):
    return LevelChangeRequest.objects.filter(project__in=api_projects(request, action))


def _visible_request(request: Request, pk: int) -> LevelChangeRequest:
    return get_object_or_404(_requests(request).select_related("project", "requester"), pk=pk)


def reachable_request(request: Request, pk: int) -> LevelChangeRequest:
    """For reading and withdrawing: also a request the caller opened on a project they
    no longer see (left the team); a token's project restriction still applies."""
    reachable = requests_reachable(
        request.user, LevelChangeRequest.objects.all(), api_projects(request)
    )
    token = request_token(request)
    if token is not None and token.project_ids:
        reachable = reachable.filter(project_id__in=token.project_ids)
    return get_object_or_404(reachable.select_related("project", "requester"), pk=pk)


def _detail(level_request: LevelChangeRequest, code: int = status.HTTP_200_OK) -> Response:
    level_request = (
        LevelChangeRequest.objects.select_related("project", "requester")
        .prefetch_related(
            "signoffs__reviewer",
            "signoffs__role",
            "signoffs__team",
            "waivers__granted_by",
            "waivers__role",
        )
        .get(pk=level_request.pk)
    )
    return Response(RequestDetailOut(level_request).data, status=code)


class RequestFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    state = django_filters.MultipleChoiceFilter(choices=RequestState.choices)
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)
    requester = django_filters.CharFilter(field_name="requester__username")

    class Meta:
        model = LevelChangeRequest
        fields = ["project", "state", "kind", "requester"]


class RequestOpenIn(StrictInput):
    project = serializers.SlugField()
    kind = serializers.ChoiceField(choices=[RequestKind.ADVANCE, RequestKind.SWITCHBACK])
    to_level = serializers.IntegerField(min_value=0, max_value=9)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    switchback_kind = serializers.ChoiceField(
        choices=SwitchbackKind.choices, required=False, allow_blank=True, default=""
    )
    commit = CommitField(required=False, allow_blank=True, default="")  # "": none

    def validate_commit(self, value: str) -> str:
        if not value:
            return ""
        try:
            return clean_commit_sha(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class RequestListView(ApiGenericView):
    """Requests on the caller's visible projects; POST opens one (advance or switchback)."""

    serializer_class = RequestOut
    filterset_class = RequestFilter
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]
    write_scope = TokenScope.REQUESTS_WRITE.value

    def get_queryset(self):
        return _requests(self.request).select_related("project", "requester")

    @extend_schema(responses={200: RequestOut(many=True), **error_responses(*PAGINATED)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=RequestOpenIn,
        responses={201: RequestDetailOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        data = RequestOpenIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        project = get_object_or_404(api_projects(request), slug=values["project"])
        opened = services.request_open(
            project=project,
            actor=request.user,
            kind=values["kind"],
            to_level=values["to_level"],
            reason=values["reason"],
            switchback_kind=values["switchback_kind"],
            commit_sha=values["commit"],
        )
        return _detail(opened, status.HTTP_201_CREATED)


class RequestDetailView(ApiView):
    """One request with its gate evaluation (sentences and data), sign-offs and waivers."""

    @extend_schema(responses={200: RequestDetailOut, **error_responses(404)})
    def get(self, request: Request, pk: int) -> Response:
        return _detail(reachable_request(request, pk))


class ReasonIn(StrictInput):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RequestWithdrawView(ApiView):
    """Withdraw a request not yet decided."""

    write_scope = TokenScope.REQUESTS_WRITE.value

    @extend_schema(
        request=ReasonIn, responses={200: RequestDetailOut, **error_responses(400, 401, 403, 404)}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        level_request = reachable_request(request, pk)
        services.request_withdraw(
            level_request=level_request, actor=request.user, reason=data.validated_data["reason"]
        )
        return _detail(level_request)


class RequestSubmitView(ApiView):
    """Submit a draft (the proposed switchback of an at-risk project): it opens for review."""

    write_scope = TokenScope.REQUESTS_WRITE.value

    @extend_schema(
        request=None, responses={200: RequestDetailOut, **error_responses(400, 401, 403, 404)}
    )
    def post(self, request: Request, pk: int) -> Response:
        level_request = _visible_request(request, pk)
        services.request_submit(level_request=level_request, actor=request.user)
        return _detail(level_request)


class RequestResubmitView(ApiView):
    """The requested changes are done: back to open."""

    write_scope = TokenScope.REQUESTS_WRITE.value

    @extend_schema(
        request=ReasonIn, responses={200: RequestDetailOut, **error_responses(400, 401, 403, 404)}
    )
    def post(self, request: Request, pk: int) -> Response:
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        level_request = _visible_request(request, pk)
        services.request_resubmit(
            level_request=level_request, actor=request.user, comment=data.validated_data["reason"]
        )
        return _detail(level_request)


class SignOffIn(StrictInput):
    decision = serializers.ChoiceField(choices=Decision.choices)
    role = serializers.SlugField(required=False, allow_null=True, default=None)
    team = serializers.SlugField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    tasks = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, default=list, max_length=50
    )


class SignOffCreateView(ApiView):
    """Record a reviewer's decision. People only: API tokens can never sign off."""

    session_only = True

    @extend_schema(
        request=SignOffIn,
        responses={201: RequestDetailOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = SignOffIn(data=request.data)
        data.is_valid(raise_exception=True)
        level_request = _visible_request(request, pk)
        services.signoff_record(
            level_request=level_request, actor=request.user, **data.validated_data
        )
        return _detail(level_request, status.HTTP_201_CREATED)


class RunAcceptedOut(serializers.Serializer):
    run = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(help_text="Poll this for the run's progress and results.")


class RequestRerunView(ApiView):
    """Fetch the branch again and re-run the checks: 202 with where to follow the run."""

    write_scope = TokenScope.REQUESTS_WRITE.value

    @extend_schema(
        request=None, responses={202: RunAcceptedOut, **error_responses(400, 401, 403, 404, 429)}
    )
    def post(self, request: Request, pk: int) -> Response:
        level_request = _visible_request(request, pk)
        services.request_checks_rerun(level_request=level_request, actor=request.user)
        run = CheckRun.objects.filter(request_id=level_request.pk).order_by("-pk").first()
        body = {
            "run": run.pk if run else None,
            "url": reverse("api-request-checks", kwargs={"pk": level_request.pk}),
        }
        return Response(RunAcceptedOut(body).data, status=status.HTTP_202_ACCEPTED)
