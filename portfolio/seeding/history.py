"""The generated history of one bulk project: level steps, switchbacks, open requests.

``History.plan`` draws, from a seeded random source, what happened to a project
since it was created (``Event`` rows for its audit chain, ``LevelChangeRequest``
rows for its requests) and leaves the project at its final level and evidence
level; nothing is written here (``portfolio.seeding.seeder`` writes in bulk).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gates.models import GateKind
from gates.policies import requirements_resolve
from projects.models import Project
from reviews.models import LevelChangeRequest, RequestKind, RequestState, SwitchbackKind

BATCH = 2000  # projects per transaction; rows per bulk insert are a multiple
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


class History:
    """Plans bulk projects' histories up to ``now`` (gate requirements resolved once)."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.gates: dict[tuple[str, int, int], tuple[Any, dict]] = {}

    def gate(self, kind: str, from_level: int, to_level: int) -> tuple[Any, dict]:
        key = (kind, from_level, to_level) if kind == GateKind.ADVANCE else (kind, 0, 0)
        if key not in self.gates:
            version, requirements = requirements_resolve(
                kind=kind, from_level=from_level, to_level=to_level
            )
            self.gates[key] = (version, requirements.as_json())
        return self.gates[key]

    def request(self, plan: Plan, **fields) -> LevelChangeRequest:
        version, requirements = self.gate(fields["kind"], fields["from_level"], fields["to_level"])
        request = LevelChangeRequest(
            project=plan.project, policy_version=version, requirements=requirements, **fields
        )
        plan.requests.append(request)
        return request

    def step(self, plan: Plan, at: datetime, to_level: int, member, lead, **extra) -> datetime:
        """An approved request from the current level to ``to_level``: its events and row."""
        project = plan.project
        from_level = project.level
        kind = RequestKind.SWITCHBACK if to_level < from_level else RequestKind.ADVANCE
        review_days = self.rng.lognormvariate(1.2, 0.8)
        decided = at + timedelta(days=review_days)
        request = self.request(
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
                at = self.step(
                    plan,
                    at,
                    down,
                    member,
                    lead,
                    switchback_kind=kind,
                    reason=self.rng.choice(SWITCHBACK_REASONS[kind]),
                )
                continue
            at = self.step(
                plan, at, project.level + 1, member, lead, reason="Ready for the next level."
            )
        at = min(at, self.now - timedelta(hours=1))
        if project.level < 9 and self.rng.random() < 0.18:  # a request under review now
            opened = at + (self.now - at) * self.rng.random()
            request = self.request(
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
