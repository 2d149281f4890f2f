"""Build the demo organisation through the real services (``manage.py seed_demo``).

Everything is written by the same service functions the site uses (teams, roles,
projects, requests, check results, sign-offs, waivers), so the permission rows,
card versions and hash-chained audit log are the real thing. The whole seed is
one transaction: a failure leaves the database as it was. The stories come from
``demo.stories``; the people from ``demo.people``.

The MLTRL card's prose has no write service (card edits are not workflow events;
the card is frozen into a version at every level change), so the seed edits the
card row directly, as a person would in the admin, before the gate that needs it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from gates.models import SlotScope
from gates.services import check_run_record_completed, external_result_record
from projects import services as project_services
from projects.models import MLTRLCard, Project, ProjectStatus, ReviewRole, Team
from reviews import services as review_services
from reviews.models import Decision, LevelChangeRequest, RequestKind, RequestState
from reviews.selectors import request_verdict
from reviews.waivers import waiver_grant

from .people import ADMIN_USERNAME, DEMO_PASSWORD, MANAGER_USERNAME, PEOPLE, TEAMS, Person
from .stories import (
    STORIES,
    Changes,
    Climb,
    Entry,
    Pause,
    Reject,
    Story,
    Switchback,
    Waiting,
    Waived,
)
from .texts import CHECK_PASSES, DEBRIEFS, ENTRY_DEBRIEF, EXTERNAL_CHECKS

REVIEWER_TEAMS = ("engineering", "product", "ethics-ops")
# Written last, in the same transaction as everything else: present means seeded.
MARKER_PROJECT = STORIES[-1].slug


class SeedError(RuntimeError):
    """The demo data does not fit the gate policy (a bug in the stories or the seed)."""


def demo_is_seeded() -> bool:
    return Project.objects.filter(slug=MARKER_PROJECT).exists()


def demo_conflicts() -> list[str]:
    """Demo team slugs and usernames that exist although the demo was never seeded."""
    teams = Team.objects.filter(slug__in=[t.slug for t in TEAMS]).values_list("slug", flat=True)
    users = (
        get_user_model()
        .objects.filter(username__in=[p.username for p in PEOPLE])
        .values_list("username", flat=True)
    )
    return [f"team {slug}" for slug in teams] + [f"user {name}" for name in users]


def commit_sha(slug: str, number: int) -> str:
    """A fake but well-formed commit SHA, stable per project and request number."""
    return hashlib.sha1(f"{slug}:{number}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class Seeder:
    users: dict[str, Any] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)

    # --- organisation ----------------------------------------------------------------

    def build_org(self) -> None:
        user_model = get_user_model()
        admin = user_model.objects.create_superuser(
            ADMIN_USERNAME, f"{ADMIN_USERNAME}@example.com", DEMO_PASSWORD
        )
        self.users[ADMIN_USERNAME] = admin
        for spec in TEAMS:
            self.teams[spec.slug] = project_services.team_create(
                slug=spec.slug, name=spec.name, description=spec.description, actor=admin
            )
        roles = {r.key: r for r in ReviewRole.objects.all()}
        for person in PEOPLE:
            if person.username == ADMIN_USERNAME:
                continue
            user = user_model.objects.create_user(
                person.username,
                f"{person.username}@example.com",
                DEMO_PASSWORD,
                first_name=person.first_name,
                last_name=person.last_name,
                # The portfolio manager may browse projects read-only in the admin too.
                is_staff=person.username == MANAGER_USERNAME,
            )
            self.users[person.username] = user
            if person.team is None:
                continue
            team = self.teams[person.team]
            project_services.membership_add(team=team, user=user, actor=admin)
            for key in person.roles:
                project_services.role_grant(team=team, user=user, role=roles[key], actor=admin)
        self.users[MANAGER_USERNAME].user_permissions.add(
            Permission.objects.get(content_type__app_label="projects", codename="view_project")
        )

    def _people(self, team: str, *, role: str | None) -> list[Person]:
        return [p for p in PEOPLE if p.team == team and (role in p.roles if role else not p.roles)]

    def requester(self, project: Project) -> Any:
        """The plain researcher of the owning team opens every request."""
        return self.users[self._people(project.team.slug, role=None)[0].username]

    def lead(self, project: Project) -> Any:
        return self.users[self._people(project.team.slug, role="research-lead")[0].username]

    def _pick(self, project: Project, slot: dict, taken: set[int]) -> tuple[Any, str]:
        owning = project.team.slug
        for role in slot["roles"]:
            for person in PEOPLE:
                user = self.users[person.username]
                if role not in person.roles or user.pk in taken:
                    continue
                inside = person.team == owning
                if role.startswith("research-") and not inside:
                    continue  # research roles review from the owning research team
                if slot["scope"] == SlotScope.OWNING_TEAM and not inside:
                    continue
                if slot["scope"] == SlotScope.INDEPENDENT and inside:
                    continue
                return user, role
        raise SeedError(f"Nobody can fill the slot {slot} for {project.slug}.")

    def signers(
        self, request: LevelChangeRequest, *, skip_roles: tuple[str, ...] = ()
    ) -> list[tuple[Any, str]]:
        """One reviewer per slot place, never the requester, nobody twice."""
        taken = {request.requester_id}
        plan = []
        for slot in request.requirements["slots"]:
            if set(slot["roles"]) & set(skip_roles):
                continue
            for _ in range(slot["count"]):
                user, role = self._pick(request.project, slot, taken)
                taken.add(user.pk)
                plan.append((user, role))
        return plan

    def reviewer_for(self, request: LevelChangeRequest, role: str) -> Any:
        """Who decides in ``role`` on this request (for rejections and change requests)."""
        for slot in request.requirements["slots"]:
            if role in slot["roles"]:
                return self._pick(request.project, {**slot, "roles": [role]}, set())[0]
        raise SeedError(f"Request {request} has no {role} slot.")

    # --- one request -----------------------------------------------------------------

    def open(
        self,
        story: Story,
        project: Project,
        *,
        kind: str,
        to_level: int,
        reason: str = "",
        switchback_kind: str = "",
        failing: dict[str, str] | None = None,
    ) -> LevelChangeRequest:
        """Open a request on a new commit, post its checks and write the card it needs."""
        number = LevelChangeRequest.objects.filter(project=project).count() + 1
        sha = commit_sha(project.slug, number) if kind != RequestKind.SWITCHBACK else ""
        requester = self.requester(project)
        debrief = None
        if kind in (RequestKind.ADVANCE, RequestKind.ENTRY):
            debrief = dict(DEBRIEFS[to_level] if kind == RequestKind.ADVANCE else ENTRY_DEBRIEF)
            debrief["done"] += f" ({requester.get_full_name()} and the {project.team.name} team)"
        request = review_services.request_open(
            project=project,
            requester=requester,
            kind=kind,
            to_level=to_level,
            reason=reason,
            switchback_kind=switchback_kind,
            debrief=debrief,
            commit_sha=sha,
        )
        if sha:
            self.post_checks(project, request, sha, failing or {})
        self.write_card(story, project, request)
        return request

    def post_checks(
        self, project: Project, request: LevelChangeRequest, sha: str, failing: dict[str, str]
    ) -> None:
        results = []
        for key in request.requirements["required_checks"]:
            message, evidence = CHECK_PASSES.get(key, ("Passed.", {}))
            outcome = "pass"
            if key in failing:
                message, outcome = failing[key], "fail"
            if key in EXTERNAL_CHECKS:
                external_result_record(
                    project=project,
                    commit_sha=sha,
                    check_key=key,
                    outcome=outcome,
                    message=message,
                    details=evidence if outcome == "pass" else {},
                )
            else:
                results.append(
                    {
                        "check_key": key,
                        "outcome": outcome,
                        "message": message,
                        "evidence": evidence if outcome == "pass" else {},
                        "fix": "" if outcome == "pass" else "See the reviewers' tasks.",
                    }
                )
        if results:
            check_run_record_completed(project=project, commit_sha=sha, results=results)

    def write_card(self, story: Story, project: Project, request: LevelChangeRequest) -> None:
        card = MLTRLCard.objects.get(project=project)
        for section in request.requirements["required_card_sections"]:
            if not getattr(card, section).strip() and story.card.get(section):
                setattr(card, section, story.card[section])
        if card.requirements and not card.requirements_doc:
            card.requirements_doc = "docs/requirements.md"
            card.vv_doc = "docs/verification-and-validation.md"
        checks = request.requirements["required_checks"]
        if "ethics_checklist_post" in checks:
            card.ethics_checklist_status = "Pre- and post-development questions answered."
        elif "ethics_checklist_pre" in checks:
            card.ethics_checklist_status = "Pre-development questions answered."
        card.save()

    def sign(self, request: LevelChangeRequest, plan: list[tuple[Any, str]]) -> None:
        for user, role in plan:
            review_services.signoff_record(
                request=request,
                reviewer=user,
                decision=Decision.APPROVE,
                role=role,
                comment=f"Reviewed the evidence on {request.commit_sha[:10] or 'the request'}.",
            )

    @staticmethod
    def expect(request: LevelChangeRequest, state: str) -> None:
        request.refresh_from_db()
        if request.state != state:
            missing = "; ".join(request_verdict(request).missing)
            raise SeedError(f"{request} should be {state}, is {request.state}: {missing}")

    # --- stories ---------------------------------------------------------------------

    def play(self, story: Story) -> Project:
        project = project_services.project_create(
            team=self.teams[story.team],
            slug=story.slug,
            name=story.name,
            description=story.description,
            actor=self.requester_of_team(story.team),
            reviewer_teams=[self.teams[slug] for slug in REVIEWER_TEAMS],
            components=[self.projects[slug] for slug in story.components],
        )
        card = MLTRLCard.objects.get(project=project)
        card.project_page = f"https://wiki.example.com/ml/{story.slug}"
        card.tldr = story.card.get("tldr", "")
        card.save()
        self.projects[story.slug] = project
        for step in story.steps:
            self.step(story, project, step)
            project.refresh_from_db()
        return project

    def requester_of_team(self, team: str) -> Any:
        return self.users[self._people(team, role=None)[0].username]

    def advance(
        self, story: Story, project: Project, *, failing: dict[str, str] | None = None
    ) -> LevelChangeRequest:
        return self.open(
            story, project, kind=RequestKind.ADVANCE, to_level=project.level + 1, failing=failing
        )

    def step(self, story: Story, project: Project, step: Any) -> None:
        match step:
            case Climb(to=to):
                while project.level < to:
                    request = self.advance(story, project)
                    self.sign(request, self.signers(request))
                    self.expect(request, RequestState.APPROVED)
                    project.refresh_from_db()
            case Entry(to=to, reason=reason):
                request = self.open(
                    story, project, kind=RequestKind.ENTRY, to_level=to, reason=reason
                )
                self.sign(request, self.signers(request))
                self.expect(request, RequestState.APPROVED)
            case Switchback(to=to, kind=kind, reason=reason):
                request = self.open(
                    story,
                    project,
                    kind=RequestKind.SWITCHBACK,
                    to_level=to,
                    reason=reason,
                    switchback_kind=kind,
                )
                self.sign(request, self.signers(request))
                self.expect(request, RequestState.APPROVED)
            case Waived(check=check, failure=failure, by=by, days=days, reason=reason):
                request = self.advance(story, project, failing={check: failure})
                self.sign(request, self.signers(request))
                self.expect(request, RequestState.OPEN)
                waiver_grant(
                    project=project,
                    check_key=check,
                    actor=self.users[by],
                    reason=reason,
                    expires_at=timezone.now() + timedelta(days=days),
                )
                self.expect(request, RequestState.APPROVED)
            case Waiting(unsigned=unsigned, comment=comment):
                request = self.advance(story, project)
                self.sign(request, self.signers(request, skip_roles=unsigned))
                review_services.comment_add(
                    request=request, author=self.requester(project), body=comment
                )
                self.expect(request, RequestState.OPEN)
            case Reject(by_role=role, comment=comment):
                request = self.advance(story, project)
                self.sign(request, self.signers(request, skip_roles=(role,)))
                review_services.signoff_record(
                    request=request,
                    reviewer=self.reviewer_for(request, role),
                    decision=Decision.REJECT,
                    role=role,
                    comment=comment,
                )
                self.expect(request, RequestState.REJECTED)
            case Changes(by_role=role, tasks=tasks, failing=failing):
                request = self.advance(story, project, failing=failing)
                self.sign(request, self.signers(request, skip_roles=(role,)))
                review_services.signoff_record(
                    request=request,
                    reviewer=self.reviewer_for(request, role),
                    decision=Decision.REQUEST_CHANGES,
                    role=role,
                    comment="Promising results, but the document is not a requirements "
                    "document yet.",
                    tasks=tasks,
                )
                self.expect(request, RequestState.CHANGES_REQUESTED)
            case Pause(reason=reason):
                project_services.project_update(
                    project=project,
                    actor=self.lead(project),
                    status=ProjectStatus.PAUSED,
                    description=f"{project.description}\n\n{reason}",
                )
            case _:
                raise SeedError(f"Unknown story step {step!r}.")


@transaction.atomic
def seed_demo() -> dict[str, Any]:
    """Seed a database that has no demo yet; return what was built."""
    seeder = Seeder()
    seeder.build_org()
    for story in STORIES:
        seeder.play(story)
    states = dict(
        LevelChangeRequest.objects.values_list("state").annotate(n=Count("pk")).order_by()
    )
    return {
        "teams": len(seeder.teams),
        "users": len(seeder.users),
        "projects": len(seeder.projects),
        "requests": states,
    }
