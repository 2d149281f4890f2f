"""The demo's history clock: the seed plays months of history in a few seconds.

While the seed runs, ``django.utils.timezone.now`` answers the real time minus an
offset that the seeder moves forward story by story (``DemoClock.installed``).
Every row and audit event is written through the services as usual; they just
read a clock set in the past, so each event is hashed with the time it carries
and ``manage.py verify_audit`` accepts the chains. Each project's history only
moves forward; different projects' histories overlap, as they would.

A story's project is created ``story_start`` days ago; before each request the
work at the level takes a while, then the review a few days; the story's last
step ends a few days before now, and what follows it (the head's checks, CI,
monitoring) happens now.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

ORG_AGE_DAYS = 400  # teams and people exist before the oldest project
END_AGE_DAYS = 3  # a story's last request is decided about this long ago


class DemoClock:
    def __init__(self) -> None:
        self._real: Callable[[], datetime] = timezone.now
        self.offset = timedelta(0)
        self._rng = random.Random(0)  # noqa: S311 - demo timing, not secrets
        self._left = 0  # requests still to come in the current story
        self._age = 0.0  # days before now of the clock, in the current story

    def real_now(self) -> datetime:
        return self._real()

    def now(self) -> datetime:
        return self._real() - self.offset

    def set_age(self, days: float) -> None:
        self._age = days
        self.offset = timedelta(days=days)

    @contextmanager
    def installed(self) -> Iterator[DemoClock]:
        """Patch ``timezone.now`` with this clock for the duration (restored after)."""
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = self._real

    def story_start(self, slug: str, requests: int) -> None:
        """A new story of ``requests`` requests: its project is created months ago."""
        self._rng = random.Random(slug)  # noqa: S311 - the same history on every seed
        self._left = requests
        span = min(ORG_AGE_DAYS - 20, 45 + 32 * requests) * self._rng.uniform(0.8, 1.1)
        self.set_age(END_AGE_DAYS + span)

    def before_request(self) -> None:
        """The work at the current level: most of the time left, shared over the requests."""
        if self._left <= 0:
            return
        share = (self._age - END_AGE_DAYS) / (self._left + 0.3)
        self.set_age(self._age - 0.75 * share * self._rng.uniform(0.6, 1.3))

    def before_review(self) -> None:
        """Reviewers sign some days after the request was opened."""
        if self._left <= 0:
            return
        self._left -= 1
        share = (self._age - END_AGE_DAYS) / (self._left + 1)
        days = min(share * 0.6, self._rng.lognormvariate(1.0, 0.6))
        self.set_age(max(END_AGE_DAYS if self._left == 0 else 0.0, self._age - days))

    def story_end(self) -> None:
        """After the story: the head's checks, CI and monitoring happen now."""
        self._left = 0
        self.set_age(0)
