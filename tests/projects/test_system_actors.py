"""System actors: looked up once per block of ``system_actors_cached`` (a check run)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects.actors import system_actor, system_actors_cached

pytestmark = pytest.mark.django_db(transaction=True)


def test_within_a_run_each_actor_is_looked_up_once():
    system_actor("worker")  # exists from here on
    with system_actors_cached(), CaptureQueriesContext(connection) as queries:
        first = system_actor("worker")
        again = [system_actor("worker") for _ in range(3)]
    assert len(queries) == 1
    assert all(user.pk == first.pk for user in again)
    with CaptureQueriesContext(connection) as outside:  # no cache outside the block
        system_actor("worker")
        system_actor("worker")
    assert len(outside) == 2


def test_an_actor_created_in_a_rolled_back_transaction_is_not_kept():
    with system_actors_cached():
        with pytest.raises(RuntimeError), transaction.atomic():
            created = system_actor("beat")
            assert created.pk is not None
            raise RuntimeError("rolled back")
        after = system_actor("beat")  # looked up again: the first one is gone
        assert after.pk is not None and after.username == "system:beat"
        assert type(after).objects.filter(pk=after.pk).exists()


def test_unknown_names_are_refused_inside_the_block_too():
    with system_actors_cached(), pytest.raises(ValueError):
        system_actor("nobody")
