"""API endpoints of the projects app: the level catalog and projects (read side)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from projects.levels import LEVELS
from projects.models import Project, ProjectStatus

from .base import (
    PAGINATED,
    ApiGenericView,
    ApiView,
    IntegerFilter,
    api_projects,
    error_responses,
)


class LevelOut(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    phase = serializers.CharField()
    purpose = serializers.CharField()
    exit_deliverables = serializers.CharField()


class LevelListView(ApiView):
    """The MLTRL level catalog (0-9), in order."""

    @extend_schema(responses={200: LevelOut(many=True), **error_responses(401, 403, 429)})
    def get(self, request: Request) -> Response:
        return Response(
            LevelOut(
                [
                    {
                        "number": lv.number,
                        "name": lv.name,
                        "phase": lv.phase.value,
                        "purpose": lv.purpose,
                        "exit_deliverables": lv.exit_deliverables,
                    }
                    for lv in LEVELS
                ],
                many=True,
            ).data
        )


class ProjectOut(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Declared, not derived: the model's integer range differs between databases
    # and would make the committed schema depend on the one it was generated on.
    level = serializers.IntegerField(min_value=0, max_value=9, read_only=True)
    entry_level = serializers.IntegerField(min_value=0, max_value=9, read_only=True)
    evidence_level = serializers.IntegerField(
        min_value=0, max_value=9, read_only=True, allow_null=True, help_text="Null until checked."
    )
    components = serializers.SerializerMethodField()
    system_level = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "description",
            "team",
            "level",
            "entry_level",
            "evidence_level",
            "system_level",
            "status",
            "repository_url",
            "default_branch",
            "components",
            "created_at",
            "updated_at",
        ]

    def get_components(self, project: Project) -> list[str]:
        return sorted(c.slug for c in project.components.all())

    def get_system_level(self, project: Project) -> int:
        """The lowest level among the project and its components (prefetched)."""
        return min([project.level, *(c.level for c in project.components.all())])


class ProjectFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug")
    level = IntegerFilter()
    level_min = IntegerFilter(field_name="level", lookup_expr="gte")
    level_max = IntegerFilter(field_name="level", lookup_expr="lte")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)

    class Meta:
        model = Project
        fields = ["team", "level", "level_min", "level_max", "status"]


def _projects(request: Request):
    return (
        api_projects(request)
        .select_related("team")
        .prefetch_related(
            Prefetch("components", queryset=Project.objects.only("pk", "slug", "level"))
        )
    )


@extend_schema(responses={200: ProjectOut(many=True), **error_responses(*PAGINATED)})
class ProjectListView(ApiGenericView):
    """Projects the caller may see (a token: cut to its project restriction)."""

    serializer_class = ProjectOut
    filterset_class = ProjectFilter
    ordering_fields = ["slug", "name", "level", "evidence_level", "updated_at"]
    ordering = ["slug"]

    def get_queryset(self):
        return _projects(self.request)

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(responses={200: ProjectOut, **error_responses(404)})
class ProjectDetailView(ApiGenericView):
    """One project: granted, evidence and system level, components."""

    serializer_class = ProjectOut
    lookup_field = "slug"

    def get_queryset(self):
        return _projects(self.request)

    def get(self, request: Request, slug: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)
