"""A small fixed organisation with a known history, for checking every dashboard figure by hand.

Time is set with ``Clock`` (``django.utils.timezone.now`` patched), so audit
events, requests and runs carry chosen timestamps. Day ``n`` is
2026-01-05 12:00 UTC (a Monday) plus ``n`` days; "now" is day 20.5
(2026-01-26 00:00 UTC).

Projects (all created on day 0; research unless said):
- ``vision``  level 0; advance 0->1 opened day 2 by researcher, still open
  (waits on a research-lead from any team)
- ``alpha``   0->1 day 1, 1->2 day 3, 2->3 day 6; review switchback 3->2 opened
  day 7, approved by lead day 8 (level 2)
- ``beta``    0->7 day 2; evidence 7; flagged at risk (row written directly)
- ``gamma``   level 0; advance 0->1 opened day 1, withdrawn day 3
- ``delta``   engineering, 0->5 day 4; evidence 3
- ``epsilon`` engineering, 0->5 day 5; evidence 6
Check runs on day 9: alpha (readme_purpose pass, experiment_records fail),
delta (readme_purpose pass, experiment_records fail, tests_present error).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gates.services import check_run_record_completed
from projects import services
from projects.actors import system_actor
from projects.models import Project
from reviews import services as reviews
from reviews.models import ProjectRisk, RequestKind
from tests.org import SHA_A, SHA_B, Org, admin_actor, build_org

DAY0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
NOW_DAY = 20.5


class Clock:
    """Set ``timezone.now`` to a chosen day (monkeypatch restores it after the test)."""

    def __init__(self, monkeypatch):
        self.at = DAY0
        monkeypatch.setattr(timezone, "now", lambda: self.at)

    def day(self, n: float) -> datetime:
        self.at = DAY0 + timedelta(days=n)
        return self.at


@dataclass
class Fixed:
    org: Org
    projects: dict[str, Project]
    now: datetime


def _level(project: Project, to_level: int) -> None:
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        services.project_level_apply(
            project=locked, to_level=to_level, actor=admin_actor(), reason="history"
        )


def _evidence(project: Project, level: int) -> None:
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        services.project_evidence_set(
            project=locked, level=level, commit_sha=SHA_A, actor=system_actor("worker")
        )


def build_fixed(clock: Clock) -> Fixed:
    clock.day(0)
    org = build_org()
    research, engineering = org.teams["research"], org.teams["engineering"]
    p = {"vision": org.project}
    for slug, team, creator in [
        ("alpha", research, org.researcher),
        ("beta", research, org.researcher),
        ("gamma", research, org.researcher),
        ("delta", engineering, org.eng),
        ("epsilon", engineering, org.eng),
    ]:
        p[slug] = services.project_create(team=team, slug=slug, name=slug.title(), actor=creator)
    clock.day(1)
    _level(p["alpha"], 1)
    gamma_request = reviews.request_open(
        project=p["gamma"], actor=org.researcher, kind=RequestKind.ADVANCE, to_level=1
    )
    clock.day(2)
    _level(p["beta"], 7)
    reviews.request_open(
        project=p["vision"], actor=org.researcher, kind=RequestKind.ADVANCE, to_level=1
    )
    clock.day(3)
    _level(p["alpha"], 2)
    reviews.request_withdraw(level_request=gamma_request, actor=org.researcher)
    clock.day(4)
    _level(p["delta"], 5)
    clock.day(5)
    _level(p["epsilon"], 5)
    clock.day(6)
    _level(p["alpha"], 3)
    clock.day(7)
    switchback = reviews.request_open(
        project=p["alpha"],
        actor=org.researcher,
        kind=RequestKind.SWITCHBACK,
        switchback_kind="review",
        to_level=2,
        reason="Leakage found in the validation split.",
    )
    clock.day(8)
    reviews.signoff_record(level_request=switchback, actor=org.lead, decision="approve")
    clock.day(9)
    check_run_record_completed(
        project=p["alpha"],
        commit_sha=SHA_A,
        results=[
            {"check_key": "readme_purpose", "outcome": "pass"},
            {"check_key": "experiment_records", "outcome": "fail"},
        ],
        actor=system_actor("worker"),
    )
    check_run_record_completed(
        project=p["delta"],
        commit_sha=SHA_B,
        results=[
            {"check_key": "readme_purpose", "outcome": "pass"},
            {"check_key": "experiment_records", "outcome": "fail"},
            {"check_key": "tests_present", "outcome": "error"},
        ],
        actor=system_actor("worker"),
    )
    _evidence(p["beta"], 7)
    _evidence(p["delta"], 3)
    _evidence(p["epsilon"], 6)
    # The at-risk rule itself is tested with real runs in tests/reviews/test_risk.py.
    ProjectRisk.objects.create(
        project=p["beta"],
        since=clock.at,
        assessed_at=clock.at,
        reasons=[{"kind": "check_failing", "check": "x", "text": "Required check x fails."}],
    )
    now = clock.day(NOW_DAY)
    return Fixed(org, {k: Project.objects.get(pk=v.pk) for k, v in p.items()}, now)
