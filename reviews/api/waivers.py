"""Waivers over the API (read only): every waiver on the caller's visible projects,
filtered by project, request, check and state.

Granting and revoking stay with people in the browser (``reviews.waivers``):
no token scope covers them. Waivers come from ``api_projects`` (the permission
entry point cut to a token's restriction), so a caller sees exactly the waivers
of the projects it may view.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import (
    PAGINATED,
    ApiGenericView,
    IntegerFilter,
    api_projects,
    error_responses,
)

from ..models import Waiver

STATES = [("in_force", "In force"), ("expired", "Expired"), ("revoked", "Revoked")]


class WaiverListOut(serializers.ModelSerializer):
    project = serializers.CharField(source="project.slug")
    request = serializers.IntegerField(source="request_id", allow_null=True)
    granted_by = serializers.CharField(source="granted_by.username")
    role = serializers.CharField(source="role.key")
    revoked_by = serializers.CharField(source="revoked_by.username", allow_null=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Waiver
        fields = [
            "id",
            "project",
            "request",
            "check_key",
            "state",
            "granted_by",
            "role",
            "reason",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "created_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=STATES))
    def get_state(self, waiver: Waiver) -> str:
        if waiver.revoked_at:
            return "revoked"
        return "expired" if waiver.expires_at <= self.context["now"] else "in_force"


class WaiverFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    request = IntegerFilter(field_name="request_id")
    check = django_filters.CharFilter(field_name="check_key")
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state")

    class Meta:
        model = Waiver
        fields = ["project", "request", "check", "state"]

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        now = timezone.now()
        if value == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        live = queryset.filter(revoked_at__isnull=True)
        return live.filter(Q(expires_at__gt=now) if value == "in_force" else Q(expires_at__lte=now))


@extend_schema(responses={200: WaiverListOut(many=True), **error_responses(*PAGINATED)})
class WaiverListView(ApiGenericView):
    """Waivers on the caller's visible projects, newest first."""

    serializer_class = WaiverListOut
    filterset_class = WaiverFilter
    ordering_fields = ["created_at", "expires_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return Waiver.objects.filter(project__in=api_projects(self.request)).select_related(
            "project", "granted_by", "role", "revoked_by"
        )

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
