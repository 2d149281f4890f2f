"""Build the demo organisation through the real services (``manage.py seed_demo``).

Everything is written by the same service functions the site uses (teams, roles,
projects, requests, check runs, CI reports, sign-offs, waivers), so the permission
rows, card versions and hash-chained audit log are the real thing. The stories
come from ``demo.stories``, the people from ``demo.people``; ``demo.seeder``
plays them.

Every project links its own sample repository (``demo.repos``, under
``MLTRL_GIT_FILE_ROOT``) and every level step is evidence-bound: the request pins
the real commit of that step, the real checks run on it (``demo.checks``) and CI
reports its results, before the reviewers sign. The database part is one
transaction: a failure leaves the database as it was (the repositories stay;
seeding again reuses them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from projects.models import Project, Team
from reviews.models import LevelChangeRequest

from .clock import ORG_AGE_DAYS
from .people import PEOPLE, TEAMS
from .repos import DemoRepo, repos_ensure
from .seeder import Seeder, SeedError
from .stories import STORIES, Story, Waiting

__all__ = ["SeedError", "demo_conflicts", "demo_is_seeded", "repos_root", "seed_demo"]

# Written last, in the same transaction as everything else: present means seeded.
MARKER_PROJECT = STORIES[-1].slug


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


def repos_root() -> Path:
    """Where the sample repositories live: the one folder file:// URLs may point into."""
    if not settings.MLTRL_GIT_FILE_ROOT:
        raise SeedError(
            "The demo's sample repositories need MLTRL_GIT_FILE_ROOT (the only folder "
            "file:// repository URLs may point into); set it, e.g. to var/demo-repos."
        )
    return Path(settings.MLTRL_GIT_FILE_ROOT)


def broker_folders_ensure() -> None:
    """Celery's filesystem transport does not create its folders; the seed enqueues into them."""
    if settings.CELERY_BROKER_URL != "filesystem://":
        return
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)


def seed_demo() -> dict[str, Any]:
    """Build the sample repositories, then seed a database that has no demo yet.

    The runs queued while seeding are sent to the broker when the transaction
    commits; the one left queued on purpose waits there for a worker.
    """
    root = repos_root()
    broker_folders_ensure()
    repos = repos_ensure(root, STORIES)
    # The runs execute inside the seed's transaction, which no other connection can
    # see: a heartbeat written from the engine's thread would find no run row.
    with override_settings(MLTRL_RUN_HEARTBEAT_S=settings.CELERY_TASK_TIME_LIMIT):
        built = _seed_database(repos)
    return {**built, "repositories": str(root)}


def _leaves_a_run_queued(story: Story) -> bool:
    """Stories whose request stays open play first (the sort is stable otherwise).

    Every run the seed queues reaches the broker when it commits, in order, and a
    worker takes about one message per second per process; the runs done here
    end as no-ops there, so the one left for the worker should come first.
    """
    return any(isinstance(step, Waiting) for step in story.steps)


@transaction.atomic
def _seed_database(repos: dict[str, DemoRepo]) -> dict[str, Any]:
    seeder = Seeder(repos)
    # History over months (demo.clock): the organisation first, then each story.
    with seeder.clock.installed():
        seeder.clock.set_age(ORG_AGE_DAYS)
        seeder.build_org()
        for story in sorted(STORIES, key=_leaves_a_run_queued, reverse=True):
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
