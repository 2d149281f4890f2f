"""The bulk seeder: teams through the services, then projects in batches."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from projects import services
from projects.cards import card_content
from projects.level_stays import stays_rebuild
from projects.models import (
    CardVersion,
    MLTRLCard,
    Project,
    ProjectGroupObjectPermission,
    ReviewRole,
    Team,
)
from reviews.models import LevelChangeRequest
from reviews.open_slots import open_slots_rebuild

from .chains import audit_chains_write
from .check_runs import check_runs_write
from .history import BATCH, History


class Seeder:
    """Seeds ``projects`` projects over ``teams`` teams (``manage.py seed_portfolio``)."""

    def __init__(self, *, projects: int, teams: int, seed: int, progress: Callable[[int], None]):
        self.n_projects = projects
        self.n_teams = max(1, min(teams, projects))
        self.progress = progress
        # a seeded source: the same organisation on every run (demo data, not secrets)
        self.history = History(random.Random(seed), timezone.now())  # noqa: S311
        self.admin = self._admin()

    # --- people and teams, through the services ------------------------------------------
    def _admin(self):
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        admin = user_model.objects.filter(username="portfolio-admin").first()
        return admin or user_model.objects.create_superuser("portfolio-admin", password=None)

    def teams(self) -> list[tuple[Team, Any, Any]]:
        """(team, member, lead) per team, created through the services."""
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        lead_role = ReviewRole.objects.get(key="research-lead")
        out = []
        for i in range(self.n_teams):
            slug = f"pf-team-{i + 1:03d}"
            team = Team.objects.filter(slug=slug).first() or services.team_create(
                slug=slug, name=f"Portfolio team {i + 1:03d}", actor=self.admin
            )
            member = user_model.objects.filter(username=f"{slug}-member").first()
            lead = user_model.objects.filter(username=f"{slug}-lead").first()
            if member is None:
                member = user_model.objects.create_user(f"{slug}-member", password=None)
                services.membership_add(team=team, user=member, actor=self.admin)
            if lead is None:
                lead = user_model.objects.create_user(f"{slug}-lead", password=None)
                services.membership_add(team=team, user=lead, actor=self.admin)
                services.role_grant(team=team, user=lead, role=lead_role, actor=self.admin)
            out.append((team, member, lead))
        return out

    def run(self) -> dict[str, int]:
        teams = self.teams()
        templates: dict[int, tuple[Project, list[tuple[int, int]], dict]] = {}
        for team, member, _lead in teams:
            slug = f"{team.slug}-p0001"
            project = Project.objects.filter(slug=slug).first()
            if project is None:
                project = services.project_create(
                    team=team, slug=slug, name=f"{team.name} model 1", actor=member
                )
            perms = list(
                ProjectGroupObjectPermission.objects.filter(content_object=project).values_list(
                    "group_id", "permission_id"
                )
            )
            templates[team.pk] = (project, perms, card_content(project))
        existing = Project.objects.filter(team__in=[t for t, _, _ in teams]).count()
        wanted = self.n_projects - existing
        counts = {"projects": 0, "events": 0, "requests": 0, "runs": 0}
        for start in range(0, max(wanted, 0), BATCH):
            size = min(BATCH, wanted - start)
            with transaction.atomic():
                batch_counts = self._batch(teams, templates, existing + start, size)
            for k, v in batch_counts.items():
                counts[k] += v
            self.progress(start + size)
        open_slots_rebuild()  # the bottleneck rollup of the requests left open
        return counts

    def _batch(self, teams, templates, offset: int, size: int) -> dict[str, int]:
        projects = []
        owners = []
        for j in range(size):
            number = offset + j
            team, member, lead = teams[number % len(teams)]
            seq = number // len(teams) + 1
            projects.append(
                Project(team=team, slug=f"{team.slug}-p{seq:04d}", name=f"{team.name} model {seq}")
            )
            owners.append((member, lead))
        Project.objects.bulk_create(projects)
        plans = [
            self.history.plan(p, m, lead) for p, (m, lead) in zip(projects, owners, strict=True)
        ]
        Project.objects.bulk_update(projects, ["level", "evidence_level"])
        MLTRLCard.objects.bulk_create(MLTRLCard(project=p) for p in projects)
        CardVersion.objects.bulk_create(
            CardVersion(
                project=p,
                number=1,
                level=0,
                content={
                    **templates[p.team_id][2],
                    "summary": {
                        **templates[p.team_id][2].get("summary", {}),
                        "name": p.name,
                        "slug": p.slug,
                        "level": 0,
                    },
                },
                reason="created",
                created_by_id=owners[i][0].pk,
            )
            for i, p in enumerate(projects)
        )
        ProjectGroupObjectPermission.objects.bulk_create(
            ProjectGroupObjectPermission(content_object=p, group_id=g, permission_id=perm)
            for p in projects
            for g, perm in templates[p.team_id][1]
        )
        requests = [r for plan in plans for r in plan.requests]
        LevelChangeRequest.objects.bulk_create(requests)
        for r in requests:  # auto_now_add set them to now: give them their history
            r.created_at = r.updated_at = r.seed_created_at
        LevelChangeRequest.objects.bulk_update(requests, ["created_at", "updated_at"])
        runs, _results, _risks, extra = check_runs_write(self.history, plans)
        events = audit_chains_write(plans, extra)
        stays_rebuild([p.pk for p in projects])  # the level-stay rollup, from those events
        return {"projects": size, "events": events, "requests": len(requests), "runs": runs}
