"""Projects (the technologies that climb levels) and their object-permission rows."""

from __future__ import annotations

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from ..levels import Level
from .teams import Team


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    RETIRED = "retired", "Retired"


class Project(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="projects")
    reviewer_teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="reviewed_projects",
        help_text="Teams invited to review this project (independent sign-offs come from them).",
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.FIRST_PRINCIPLES)
    entry_level = models.PositiveSmallIntegerField(
        choices=Level.choices,
        default=Level.FIRST_PRINCIPLES,
        help_text="The level the project entered at; switchbacks never go below it.",
    )
    evidence_level = models.PositiveSmallIntegerField(
        choices=Level.choices,
        null=True,
        blank=True,
        help_text="Highest level whose required checks all pass on the current commit.",
    )
    status = models.CharField(
        max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    repository_url = models.CharField(max_length=500, blank=True)
    default_branch = models.CharField(max_length=200, default="main")
    components = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        help_text="Projects this one is coupled to; they bound its system level.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # The project list walks these in (name, pk) order and stops after one page
        # (projects.keyset; docs/performance.md).
        indexes = [
            models.Index(fields=["name", "id"], name="project_name_id"),
            models.Index(fields=["team", "name", "id"], name="project_team_name_id"),
            models.Index(fields=["level", "name", "id"], name="project_level_name_id"),
        ]
        permissions = [
            ("request_level_change", "Request a level change"),
            ("sign_off", "Sign off a level-change request"),
            ("waive_check", "Waive a failing gate check"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=0, level__lte=9), name="project_level_range"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=models.F("entry_level")),
                name="project_level_not_below_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        return Level(self.level).label


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key permission rows (guardian's advice for speed)."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)
