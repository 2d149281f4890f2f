"""The ``Seeder``: plays the demo stories through the real services, step by step.

Who does what comes from ``demo.people`` (the plain researcher of the owning team
opens every request; reviewers are picked slot by slot, never the requester,
nobody twice); each advance or entry request pins its step's commit of the
project's sample repository, whose checks run for real (``demo.checks``).

The MLTRL card's prose has no write service (card edits are not workflow events;
the card is frozen into a version at every level change), so the seeder edits the
card row directly, as a person would in the admin, before the gate that needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from gates.models import RunTrigger, SlotScope
from projects import services as project_services
from projects.actors import system_actor
from projects.models import MLTRLCard, Project, ProjectStatus, ReviewRole, Team
from reviews import services as review_services
from reviews.models import Decision, LevelChangeRequest, RequestKind, RequestState
from reviews.risk import project_risk_assess
from reviews.selectors import request_verdict
from reviews.waivers import waiver_grant

from .checks import checks_execute, ci_report, head_checks
from .clock import DemoClock
from .people import ADMIN_USERNAME, DEMO_PASSWORD, MANAGER_USERNAME, PEOPLE, TEAMS, Person
from .repos import BRANCH, DemoCommit, DemoRepo
from .steps import DRIFTED, requests_in
from .stories import (
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
from .texts import DEBRIEFS, ENTRY_DEBRIEF

REVIEWER_TEAMS = ("engineering", "product", "ethics-ops")


class SeedError(RuntimeError):
    """The demo data does not fit the gate policy (a bug in the stories or the seed)."""


@dataclass
class Seeder:
    repos: dict[str, DemoRepo]
    pending: dict[str, list[DemoCommit]] = field(default_factory=dict)  # commits not yet pinned
    users: dict[str, Any] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    clock: DemoClock = field(default_factory=DemoClock)  # installed by demo.seed

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
            if person.maintainer:  # the team lead manages its members and roles
                project_services.membership_maintainer_set(
                    team=team, user=user, is_maintainer=True, actor=admin
                )
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
        run_checks: bool = True,
    ) -> LevelChangeRequest:
        """Open a request on the step's commit, check it and write the card it needs.

        The checks run in-process unless ``run_checks`` is off: then the run stays
        queued for the worker ``make run`` starts.
        """
        self.clock.before_request()
        commit = self.next_commit(project) if kind != RequestKind.SWITCHBACK else None
        sha = commit.sha if commit else ""
        requester = self.requester(project)
        debrief = None
        if kind in (RequestKind.ADVANCE, RequestKind.ENTRY):
            debrief = dict(DEBRIEFS[to_level] if kind == RequestKind.ADVANCE else ENTRY_DEBRIEF)
            debrief["done"] += f" ({requester.get_full_name()} and the {project.team.name} team)"
        request = review_services.request_open(
            project=project,
            actor=requester,
            kind=kind,
            to_level=to_level,
            reason=reason,
            switchback_kind=switchback_kind,
            debrief=debrief,
            commit_sha=sha,
        )
        if commit is not None:
            if run_checks:
                checks_execute(project, sha)
            ci_report(project, commit)
        self.write_card(story, project, request)
        return request

    def next_commit(self, project: Project) -> DemoCommit:
        """The commit the project's next request pins (its repository follows the story)."""
        pending = self.pending[project.slug]
        if not pending or not pending[0].for_request:
            raise SeedError(f"The repository of {project.slug} has no commit for its next request.")
        return pending.pop(0)

    def finish(self, story: Story, project: Project) -> None:
        """Later commits reach CI; then the branch head is checked, giving the evidence level."""
        for commit in self.pending.pop(project.slug):
            if commit.for_request:
                raise SeedError(f"Commit {commit.sha[:10]} of {project.slug} was never requested.")
            ci_report(project, commit)
        if DRIFTED in story.quirks:
            # Monitoring finds the drift: the head is checked by a scheduled run (as beat),
            # then the at-risk rule runs as it does after every scheduled run.
            head_checks(
                project,
                self.repos[story.slug],
                actor=system_actor("beat"),
                trigger=RunTrigger.SCHEDULE,
            )
            project_risk_assess(project_id=project.pk, actor=system_actor("worker"))
            return
        head_checks(project, self.repos[story.slug], actor=self.requester(project))

    def write_card(self, story: Story, project: Project, request: LevelChangeRequest) -> None:
        card = MLTRLCard.objects.get(project=project)
        edits: dict[str, str] = {}
        for section in request.requirements["required_card_sections"]:
            if not getattr(card, section).strip() and story.card.get(section):
                edits[section] = story.card[section]
        if (card.requirements or edits.get("requirements")) and not card.requirements_doc:
            edits["requirements_doc"] = "docs/research-requirements.md"
            edits["vv_doc"] = "docs/research-requirements.md#verification-and-validation"
        checks = request.requirements["required_checks"]
        if "ethics_checklist_post" in checks:
            edits["ethics_checklist_status"] = "Pre- and post-development questions answered."
        elif "ethics_checklist_pre" in checks:
            edits["ethics_checklist_status"] = "Pre-development questions answered."
        project_services.card_update(project=project, actor=self.lead(project), **edits)

    def sign(self, request: LevelChangeRequest, plan: list[tuple[Any, str]]) -> None:
        self.clock.before_review()
        for user, role in plan:
            review_services.signoff_record(
                level_request=request,
                actor=user,
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
        self.clock.story_start(story.slug, requests_in(story))
        project = project_services.project_create(
            team=self.teams[story.team],
            slug=story.slug,
            name=story.name,
            description=story.description,
            actor=self.requester_of_team(story.team),
            reviewer_teams=[self.teams[slug] for slug in REVIEWER_TEAMS],
            components=[self.projects[slug] for slug in story.components],
        )
        repo = self.repos[story.slug]
        project = project_services.project_update(
            project=project,
            actor=self.lead(project),
            repository_url=repo.url,
            default_branch=BRANCH,
        )
        self.pending[story.slug] = list(repo.commits)
        project_services.card_update(
            project=project,
            actor=self.lead(project),
            project_page=f"https://wiki.example.com/ml/{story.slug}",
            tldr=story.card.get("tldr", ""),
        )
        self.projects[story.slug] = project
        for step in story.steps:
            self.step(story, project, step)
            project.refresh_from_db()
        self.clock.story_end()
        self.finish(story, project)
        return project

    def requester_of_team(self, team: str) -> Any:
        return self.users[self._people(team, role=None)[0].username]

    def advance(self, story: Story, project: Project, *, run_checks: bool = True):
        return self.open(
            story,
            project,
            kind=RequestKind.ADVANCE,
            to_level=project.level + 1,
            run_checks=run_checks,
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
            case Waived(check=check, by=by, days=days, reason=reason):
                request = self.advance(story, project)
                self.sign(request, self.signers(request))
                self.expect(request, RequestState.OPEN)
                waiver_grant(
                    project=project,
                    check_key=check,
                    actor=self.users[by],
                    reason=reason,
                    # from the real now: the waiver runs as long as the story says
                    expires_at=self.clock.real_now() + timedelta(days=days),
                )
                self.expect(request, RequestState.APPROVED)
            case Waiting(unsigned=unsigned, comment=comment):
                # Its run stays queued: the worker started by `make run` picks it up,
                # so it is queued now (not in the past).
                self.clock.story_end()
                request = self.advance(story, project, run_checks=False)
                self.sign(request, self.signers(request, skip_roles=unsigned))
                review_services.comment_add(
                    level_request=request, actor=self.requester(project), body=comment
                )
                self.expect(request, RequestState.OPEN)
            case Reject(by_role=role, comment=comment):
                request = self.advance(story, project)
                self.sign(request, self.signers(request, skip_roles=(role,)))
                review_services.signoff_record(
                    level_request=request,
                    actor=self.reviewer_for(request, role),
                    decision=Decision.REJECT,
                    role=role,
                    comment=comment,
                )
                self.expect(request, RequestState.REJECTED)
            case Changes(by_role=role, tasks=tasks, comment=comment):
                request = self.advance(story, project)
                self.sign(request, self.signers(request, skip_roles=(role,)))
                review_services.signoff_record(
                    level_request=request,
                    actor=self.reviewer_for(request, role),
                    decision=Decision.REQUEST_CHANGES,
                    role=role,
                    comment=comment,
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
