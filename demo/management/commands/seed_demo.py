"""``manage.py seed_demo``: build the demo organisation once, then print its logins.

Idempotent: on a database that already holds the demo it changes nothing and only
prints the logins again. On a database holding some of the demo's team or user
names but not the demo, it refuses rather than mix the two. The demo's sample
repositories are built under ``MLTRL_GIT_FILE_ROOT`` (``var/demo-repos`` when
DEBUG is on); without that setting it refuses too.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from demo.people import logins_table
from demo.repos import DemoRepoError
from demo.seed import SeedError, demo_conflicts, demo_is_seeded, repos_root, seed_demo
from projects.models import Project
from reviews.models import LevelChangeRequest


class Command(BaseCommand):
    help = "Seed the demo organisation (teams, people, projects with review history) once."

    def handle(self, *args, **options) -> None:
        if demo_is_seeded():
            self.stdout.write("The demo organisation is already seeded; nothing changed.")
        else:
            conflicts = demo_conflicts()
            if conflicts:
                raise CommandError(
                    "This database already has "
                    + ", ".join(conflicts)
                    + " but no demo; seed_demo only fills a database without them. "
                    "Remove var/mltrl.sqlite3 (or point DATABASE_URL at an empty database), "
                    "run `manage.py migrate` and try again."
                )
            try:
                repos_root()
                built = seed_demo()
            except (SeedError, DemoRepoError) as exc:
                raise CommandError(str(exc)) from None
            states = ", ".join(f"{n} {state}" for state, n in sorted(built["requests"].items()))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {built['teams']} teams, {built['users']} users and "
                    f"{built['projects']} projects; requests: {states}."
                )
            )
            self.stdout.write(
                f"Sample repositories (one per project, checked for real): {built['repositories']}"
            )
            self._projects()
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        self.stdout.write(logins_table())

    def _projects(self) -> None:
        projects = list(Project.objects.select_related("team").order_by("-level", "slug"))
        latest = {r.project_id: r for r in LevelChangeRequest.objects.order_by("project_id", "pk")}
        width = max(len(p.slug) for p in projects)
        self.stdout.write("")
        self.stdout.write(
            "Projects (level, evidence level on the branch head, status, owning team, "
            "latest request):"
        )
        for p in projects:
            r = latest.get(p.pk)
            last = f"#{r.pk} {r.kind} {r.from_level}->{r.to_level} {r.state}" if r else "-"
            evidence = "-" if p.evidence_level is None else f"E{p.evidence_level}"
            self.stdout.write(
                f"  {p.slug:<{width}}  L{p.level}  {evidence:<2}  {p.status:<6}  "
                f"{p.team.slug:<17}  {last}"
            )
