"""Project create and update over the API, and the team directory (read).

Writes call ``projects.services`` as the caller; no token scope covers them, so
they are for people signed in (a pipeline has no business registering projects).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import Project, Team
from projects.permissions import Action
from projects.services import project_create, project_update

from .base import PAGINATED, ApiGenericView, StrictInput, api_projects, error_responses
from .views import ProjectDetailView, ProjectListView, ProjectOut


class ProjectWriteIn(StrictInput):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    repository_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    default_branch = serializers.CharField(required=False, max_length=200)
    reviewer_teams = serializers.ListField(
        child=serializers.SlugField(), required=False, max_length=50
    )
    components = serializers.ListField(child=serializers.SlugField(), required=False, max_length=50)

    def validate_reviewer_teams(self, slugs: list[str]) -> list[Team]:
        teams = list(Team.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {t.slug for t in teams})
        if missing:
            raise serializers.ValidationError(f"Unknown teams: {', '.join(missing)}.")
        return teams

    def validate_components(self, slugs: list[str]) -> list[Project]:
        found = list(api_projects(self.context["request"]).filter(slug__in=slugs))
        missing = sorted(set(slugs) - {p.slug for p in found})
        if missing:
            raise serializers.ValidationError(f"Unknown projects: {', '.join(missing)}.")
        return found


class ProjectCreateIn(ProjectWriteIn):
    slug = serializers.SlugField(max_length=50)
    name = serializers.CharField(max_length=200)
    team = serializers.SlugField()


def _project_body(project: Project, code: int = status.HTTP_200_OK) -> Response:
    return Response(ProjectOut(_projects_by_pk(project.pk)).data, status=code)


def _projects_by_pk(pk: int) -> Project:
    return Project.objects.select_related("team").prefetch_related("components").get(pk=pk)


class ProjectCollectionView(ProjectListView):
    """GET: visible projects. POST: register a project for a team you belong to (people
    signed in; no token scope covers it)."""

    @extend_schema(
        request=ProjectCreateIn,
        responses={201: ProjectOut, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        data = ProjectCreateIn(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        team = Team.objects.filter(slug=values.pop("team")).first()
        if team is None:
            raise serializers.ValidationError({"team": ["Unknown team."]})
        project = project_create(team=team, actor=request.user, **values)
        return _project_body(project, status.HTTP_201_CREATED)


class ProjectItemView(ProjectDetailView):
    """GET: one project. PATCH: change its description, repository, reviewer teams or
    components (people signed in)."""

    @extend_schema(
        request=ProjectWriteIn,
        responses={200: ProjectOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, slug: str) -> Response:
        data = ProjectWriteIn(data=request.data, context={"request": request}, partial=True)
        data.is_valid(raise_exception=True)
        project = get_object_or_404(api_projects(request, Action.VIEW), slug=slug)
        project = project_update(project=project, actor=request.user, **data.validated_data)
        return _project_body(project)


class RoleGrantOut(serializers.Serializer):
    user = serializers.CharField(source="user.username")
    role = serializers.CharField(source="role.key")


class TeamOut(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()
    role_grants = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["slug", "name", "description", "members", "role_grants"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_members(self, team: Team) -> list[str]:
        return sorted(m.user.username for m in team.memberships.all())

    @extend_schema_field(RoleGrantOut(many=True))
    def get_role_grants(self, team: Team) -> list[dict]:
        grants = sorted(team.role_grants.all(), key=lambda g: (g.user.username, g.role.key))
        return RoleGrantOut(grants, many=True).data


class TeamListView(ApiGenericView):
    """Teams with their members and role grants (any signed-in caller)."""

    serializer_class = TeamOut
    ordering_fields = ["slug", "name"]
    ordering = ["slug"]

    def get_queryset(self):
        return Team.objects.prefetch_related(
            "memberships__user",
            "role_grants__user",
            "role_grants__role",
        )

    @extend_schema(responses={200: TeamOut(many=True), **error_responses(*PAGINATED)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
