"""A large organisation with history, for demos and benchmarks (``manage.py seed_portfolio``).

Teams, people and role grants, and the first project of each team, go through
the services (so group permissions, cards and audit events are the real ones).
The other projects take a bulk path that writes the same rows the services
would: the project, its card and first card version, the team's group
permission rows (copied from the team's first project), and its audit chain,
each event hashed with ``projects.audit.event_digest`` under the current key so
``manage.py verify_audit`` accepts it. Their history (level changes through
approved requests, switchbacks, open requests, check runs, evidence levels,
at-risk flags) is generated from a seeded random source, so a run is
reproducible. Not written on the bulk path: sign-off rows of past approvals
(the audit events record them) and comments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gates.models import CheckResult, CheckRun, CheckRunStatus, GateKind, RunTrigger
from gates.policies import requirements_resolve
from projects import services
from projects.audit import chain_key, event_digest
from projects.cards import card_content
from projects.level_stays import stays_rebuild
from projects.models import (
    AuditChain,
    AuditEvent,
    CardVersion,
    MLTRLCard,
    Project,
    ProjectGroupObjectPermission,
    ReviewRole,
    Team,
)
from reviews.models import (
    LevelChangeRequest,
    ProjectRisk,
    RequestKind,
    RequestState,
    SwitchbackKind,
)
from reviews.open_slots import open_slots_rebuild

BATCH = 2000
# Final levels: most projects are early, few reach deployment.
LEVEL_WEIGHTS = [18, 14, 13, 12, 10, 9, 8, 7, 5, 4]
SWITCHBACK_REASONS = {
    SwitchbackKind.DISCOVERY: [
        "Integration found the feature store schema differs from training.",
        "Load tests showed latency far above the budget.",
    ],
    SwitchbackKind.REVIEW: [
        "Leakage found in the validation split.",
        "The evaluation set does not cover the target population.",
    ],
    SwitchbackKind.EMBEDDED: ["Planned loop back to retrain on new data."],
}


@dataclass
class Event:
    kind: str
    at: datetime
    actor_id: int | None
    payload: dict


@dataclass
class Plan:
    """One bulk project and what happened to it."""

    project: Project
    events: list[Event] = field(default_factory=list)
    requests: list[LevelChangeRequest] = field(default_factory=list)


class Seeder:
    def __init__(self, *, projects: int, teams: int, seed: int, progress: Callable[[int], None]):
        self.n_projects = projects
        self.n_teams = max(1, min(teams, projects))
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
        self.progress = progress
        self.now = timezone.now()
        self.admin = self._admin()
        self.gates: dict[tuple[str, int, int], tuple[Any, dict]] = {}

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

    # --- history ---------------------------------------------------------------------------
    def _gate(self, kind: str, from_level: int, to_level: int) -> tuple[Any, dict]:
        key = (kind, from_level, to_level) if kind == GateKind.ADVANCE else (kind, 0, 0)
        if key not in self.gates:
            version, requirements = requirements_resolve(
                kind=kind, from_level=from_level, to_level=to_level
            )
            self.gates[key] = (version, requirements.as_json())
        return self.gates[key]

    def _request(self, plan: Plan, **fields) -> LevelChangeRequest:
        version, requirements = self._gate(fields["kind"], fields["from_level"], fields["to_level"])
        request = LevelChangeRequest(
            project=plan.project, policy_version=version, requirements=requirements, **fields
        )
        plan.requests.append(request)
        return request

    def _step(self, plan: Plan, at: datetime, to_level: int, member, lead, **extra) -> datetime:
        """An approved request from the current level to ``to_level``: its events and row."""
        project = plan.project
        from_level = project.level
        kind = RequestKind.SWITCHBACK if to_level < from_level else RequestKind.ADVANCE
        review_days = self.rng.lognormvariate(1.2, 0.8)
        decided = at + timedelta(days=review_days)
        request = self._request(
            plan,
            kind=kind,
            from_level=from_level,
            to_level=to_level,
            state=RequestState.APPROVED,
            requester=member,
            decided_at=decided,
            **extra,
        )
        request.seed_created_at = at
        ref = {"request_ref": len(plan.requests) - 1}
        gate = f"{from_level}-{to_level}" if kind == RequestKind.ADVANCE else kind
        plan.events += [
            Event(
                "request.created",
                at,
                member.pk,
                {
                    **ref,
                    "kind": kind,
                    "from_level": from_level,
                    "to_level": to_level,
                    "policy": gate,
                },
            ),
            Event("request.submit", at, member.pk, {**ref, "from": "draft", "to": "open"}),
            # submitting queues the request's check run (no run row on the bulk path)
            Event("checks.requested", at, member.pk, {**ref, "run": None, "trigger": "request"}),
            Event(
                "signoff.recorded",
                decided,
                lead.pk,
                {**ref, "decision": "approve", "role": "research-lead"},
            ),
            Event("request.approve", decided, lead.pk, {**ref, "from": "open", "to": "approved"}),
            Event(
                "level.changed",
                decided,
                lead.pk,
                {
                    **ref,
                    "from_level": from_level,
                    "to_level": to_level,
                    "entry": False,
                    "reason": "approved",
                },
            ),
        ]
        project.level = to_level
        return decided

    def plan(self, project: Project, member, lead) -> Plan:
        plan = Plan(project)
        age = self.rng.uniform(20, 720)
        at = self.now - timedelta(days=age)
        plan.events.append(
            Event(
                "project.created",
                at,
                member.pk,
                {"team": project.team.slug, "level": 0, "name": project.name},
            )
        )
        target = self.rng.choices(range(10), weights=LEVEL_WEIGHTS)[0]
        while project.level < target:
            at += timedelta(days=self.rng.expovariate(1 / 12))
            if at >= self.now - timedelta(days=1):
                break
            if project.level >= 3 and self.rng.random() < 0.06:
                kind = self.rng.choice(list(SwitchbackKind))
                down = max(project.entry_level, project.level - self.rng.choice((1, 1, 2)))
                at = self._step(
                    plan,
                    at,
                    down,
                    member,
                    lead,
                    switchback_kind=kind,
                    reason=self.rng.choice(SWITCHBACK_REASONS[kind]),
                )
                continue
            at = self._step(
                plan, at, project.level + 1, member, lead, reason="Ready for the next level."
            )
        at = min(at, self.now - timedelta(hours=1))
        if project.level < 9 and self.rng.random() < 0.18:  # a request under review now
            opened = at + (self.now - at) * self.rng.random()
            request = self._request(
                plan,
                kind=RequestKind.ADVANCE,
                from_level=project.level,
                to_level=project.level + 1,
                state=RequestState.OPEN,
                requester=member,
                reason="Ready for the next level.",
            )
            request.seed_created_at = opened
            ref = {"request_ref": len(plan.requests) - 1}
            plan.events += [
                Event(
                    "request.created",
                    opened,
                    member.pk,
                    {
                        **ref,
                        "kind": "advance",
                        "from_level": project.level,
                        "to_level": project.level + 1,
                    },
                ),
                Event("request.submit", opened, member.pk, {**ref, "from": "draft", "to": "open"}),
            ]
        roll = self.rng.random()
        if roll < 0.15:
            project.evidence_level = None
        elif roll < 0.27:
            project.evidence_level = max(0, project.level - self.rng.choice((1, 2)))
        elif roll < 0.35:
            project.evidence_level = min(9, project.level + 1)
        else:
            project.evidence_level = project.level
        return plan

    # --- writing -----------------------------------------------------------------------------
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
        plans = [self.plan(p, m, lead) for p, (m, lead) in zip(projects, owners, strict=True)]
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
        runs, _results, _risks, extra = self._checks(plans)
        events = self._events(plans, extra)
        stays_rebuild([p.pk for p in projects])  # the level-stay rollup, from those events
        return {"projects": size, "events": events, "requests": len(requests), "runs": runs}

    def _checks(self, plans: list[Plan]) -> tuple[int, int, list, dict]:
        """A recent check run on about half the projects; level 7+ ones failing are at risk."""
        keys_by_level = {}
        for level in range(1, 10):
            keys_by_level[level] = self._gate(GateKind.ADVANCE, level - 1, level)[1][
                "required_checks"
            ]
        runs, pending = [], []
        for plan in plans:
            project = plan.project
            if project.level == 0 or self.rng.random() < 0.5:
                continue
            finished = self.now - timedelta(days=self.rng.uniform(0, 80))
            sha = f"{self.rng.getrandbits(160):040x}"
            keys = keys_by_level[min(9, project.level + 1)]
            failing = set()
            if project.evidence_level is not None and project.evidence_level < project.level:
                failing = set(
                    self.rng.sample(
                        list(keys_by_level[project.level]),
                        k=min(2, len(keys_by_level[project.level])),
                    )
                )
            elif self.rng.random() < 0.2:
                failing = {self.rng.choice(list(keys))}
            trigger = RunTrigger.SCHEDULE if project.level >= 7 else RunTrigger.PUSH
            run = CheckRun(
                project=project,
                commit_sha=sha,
                trigger=trigger,
                check_keys=list(keys),
                status=CheckRunStatus.SUCCEEDED,
                started_at=finished,
                finished_at=finished,
                progress_done=len(keys),
                progress_total=len(keys),
            )
            runs.append(run)
            pending.append((run, keys, failing, plan, finished))
        CheckRun.objects.bulk_create(runs)
        results, risks = [], []
        extra: dict[int, list[Event]] = {}
        for run, keys, failing, plan, finished in pending:
            for key in keys:
                outcome = (
                    "fail" if key in failing else self.rng.choice(("pass", "pass", "pass", "warn"))
                )
                results.append(
                    CheckResult(run=run, check_key=key, outcome=outcome, message="Seeded result.")
                )
            extra.setdefault(plan.project.pk, []).append(
                Event(
                    "checks.recorded",
                    finished,
                    None,
                    {"run": run.pk, "commit": run.commit_sha, "checks": len(keys)},
                )
            )
            if plan.project.level >= 7 and failing:
                reasons = [
                    {"kind": "check_failing", "check": k, "text": f"Required check {k} fails."}
                    for k in sorted(failing)
                ]
                risks.append(
                    ProjectRisk(
                        project=plan.project,
                        since=finished,
                        reasons=reasons,
                        run=run,
                        assessed_at=finished,
                    )
                )
                extra[plan.project.pk].append(
                    Event(
                        "project.at_risk",
                        finished,
                        None,
                        {
                            "run": run.pk,
                            "commit": run.commit_sha,
                            "reasons": reasons,
                            "since": finished.isoformat(),
                            "proposed_request": None,
                        },
                    )
                )
        for start in range(0, len(results), BATCH * 5):
            CheckResult.objects.bulk_create(results[start : start + BATCH * 5])
        ProjectRisk.objects.bulk_create(risks)
        return len(runs), len(results), risks, extra

    def _events(self, plans: list[Plan], extra: dict[int, list[Event]]) -> int:
        """Hash each project's events into its chain (key id of the current key)."""
        key_id = settings.MLTRL_AUDIT_KEY_ID
        rows, chains = [], []
        for plan in plans:
            project = plan.project
            key = chain_key(project)
            events = sorted(plan.events + extra.get(project.pk, []), key=lambda e: e.at)
            prev = ""
            for seq, event in enumerate(events, start=1):
                payload = dict(event.payload)
                if "request_ref" in payload:
                    payload["request"] = plan.requests[payload.pop("request_ref")].pk
                digest = event_digest(
                    chain=key,
                    seq=seq,
                    project_id=project.pk,
                    kind=event.kind,
                    actor_id=event.actor_id,
                    payload=payload,
                    created_at=event.at,
                    prev_hash=prev,
                    key_id=key_id,
                )
                rows.append(
                    AuditEvent(
                        chain=key,
                        seq=seq,
                        project=project,
                        kind=event.kind,
                        actor_id=event.actor_id,
                        payload=payload,
                        created_at=event.at,
                        prev_hash=prev,
                        hash=digest,
                        key_id=key_id,
                    )
                )
                prev = digest
            chains.append(AuditChain(key=key, last_seq=len(events), last_hash=prev))
        for start in range(0, len(rows), BATCH * 5):
            AuditEvent.objects.bulk_create(rows[start : start + BATCH * 5])
        AuditChain.objects.bulk_create(chains)
        return len(rows)
