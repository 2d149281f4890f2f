"""The bottleneck rollup (``OpenSlot``): written at each evaluation, equal to a rebuild."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from portfolio.dashboard import dashboard_tables
from portfolio.filters import Filters
from projects import services
from projects.models import Project, ReviewRole
from reviews import services as reviews
from reviews.models import OpenSlot, RequestKind, RequestState
from reviews.open_slots import open_slots_rebuild, open_slots_refresh
from tests.org import admin_actor, build_org


def _slots() -> list[tuple]:
    return sorted(
        OpenSlot.objects.filter(request__state=RequestState.OPEN).values_list(
            "request_id", "roles", "scope", "missing"
        )
    )


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def request_1_2(org):
    """vision at level 1 with an open 1 -> 2 request (a research-lead and a research-peer)."""
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=org.project.pk)
        services.project_level_apply(
            project=locked, to_level=1, actor=admin_actor(), reason="history"
        )
    return reviews.request_open(
        project=org.project, actor=org.researcher, kind=RequestKind.ADVANCE, to_level=2
    )


def test_opening_a_request_stores_its_empty_places(request_1_2):
    assert _slots() == [
        (request_1_2.pk, "research-lead", "any", 1),
        (request_1_2.pk, "research-peer", "any", 1),
    ]


def test_a_signoff_fills_its_place_and_the_table_follows(org, request_1_2):
    reviews.signoff_record(level_request=request_1_2, actor=org.peer, decision="approve")
    assert _slots() == [(request_1_2.pk, "research-lead", "any", 1)]
    rows = {t.key: t.rows for t in dashboard_tables(org.manager, Filters())}["waiting_on"]
    assert rows == [
        {"role": "research-lead", "team": "Research", "where": "any team", "requests": 1}
    ]


def test_a_filled_or_withdrawn_request_waits_on_nobody(org, request_1_2):
    reviews.signoff_record(level_request=request_1_2, actor=org.peer, decision="approve")
    reviews.signoff_record(level_request=request_1_2, actor=org.lead, decision="approve")
    assert _slots() == []  # every place filled (it still waits on its checks)
    request_1_2.refresh_from_db()
    assert request_1_2.state == RequestState.OPEN
    OpenSlot.objects.all().delete()
    open_slots_rebuild()
    assert _slots() == []
    reviews.request_withdraw(level_request=request_1_2, actor=org.researcher)
    assert open_slots_rebuild() == 0


def test_rebuild_equals_the_incremental_rows_and_catches_a_revoked_role(org, request_1_2):
    reviews.signoff_record(level_request=request_1_2, actor=org.peer, decision="approve")
    incremental = _slots()
    OpenSlot.objects.all().delete()
    assert open_slots_rebuild() == 1
    assert _slots() == incremental
    assert open_slots_rebuild() == 1  # idempotent
    assert _slots() == incremental
    # The peer loses the role: their approval no longer counts. Evaluation did not
    # run and the revocation's after-commit rebuild does not run in this test's
    # transaction, so only the rebuild (beat, the command) sees it here.
    services.role_revoke(
        team=org.teams["research"],
        user=org.peer,
        role=ReviewRole.objects.get(key="research-peer"),
        actor=admin_actor(),
    )
    assert _slots() == incremental
    out = StringIO()
    call_command("rebuild_open_slots", stdout=out)
    assert "2 rows" in out.getvalue()
    assert _slots() == [
        (request_1_2.pk, "research-lead", "any", 1),
        (request_1_2.pk, "research-peer", "any", 1),
    ]


def test_a_revoked_role_empties_its_holders_places_once_committed(
    org, request_1_2, django_capture_on_commit_callbacks
):
    """The revocation's commit rebuilds the rows of the requests its holder signed
    (not only beat's next rebuild)."""
    reviews.signoff_record(level_request=request_1_2, actor=org.peer, decision="approve")
    assert _slots() == [(request_1_2.pk, "research-lead", "any", 1)]
    with django_capture_on_commit_callbacks(execute=True):
        services.role_revoke(
            team=org.teams["research"],
            user=org.peer,
            role=ReviewRole.objects.get(key="research-peer"),
            actor=admin_actor(),
        )
    assert _slots() == [
        (request_1_2.pk, "research-lead", "any", 1),
        (request_1_2.pk, "research-peer", "any", 1),
    ]


def _every_row_is_an_open_requests() -> bool:
    """The rollup's invariant the bottleneck view relies on (it no longer joins requests)."""
    return not OpenSlot.objects.exclude(request__state=RequestState.OPEN).exists()


def _waiting(org) -> list[dict]:
    return {t.key: t.rows for t in dashboard_tables(org.manager, Filters())}["waiting_on"]


def test_leaving_the_open_state_removes_the_places_at_once(org, request_1_2):
    """Request changes, resubmit, withdraw: rows follow the state in the same
    transaction, with the request's project copied on each row."""
    assert set(OpenSlot.objects.values_list("project_id", flat=True)) == {org.project.pk}
    reviews.signoff_record(
        level_request=request_1_2,
        actor=org.peer,
        decision="request_changes",
        tasks=["add an evaluation section to the card"],
    )
    request_1_2.refresh_from_db()
    assert request_1_2.state == RequestState.CHANGES_REQUESTED
    assert OpenSlot.objects.count() == 0 and _waiting(org) == []
    reviews.request_resubmit(level_request=request_1_2, actor=org.researcher)
    assert _slots() == [
        (request_1_2.pk, "research-lead", "any", 1),
        (request_1_2.pk, "research-peer", "any", 1),
    ]
    assert _every_row_is_an_open_requests()
    reviews.request_withdraw(level_request=request_1_2, actor=org.researcher)
    assert OpenSlot.objects.count() == 0 and _waiting(org) == []


def test_a_slot_listed_twice_is_one_row_with_its_places_added(org, request_1_2):
    """Two slots of the same roles and scope: one row (the unique constraint the
    bottleneck count relies on), missing = both slots' empty places."""
    requirements = dict(request_1_2.requirements)
    lead = {"roles": ["research-lead"], "count": 1, "scope": "any"}
    requirements["slots"] = [lead, {**lead, "count": 2}]
    with transaction.atomic():
        type(request_1_2).objects.filter(pk=request_1_2.pk).update(requirements=requirements)
        request_1_2.refresh_from_db()
        open_slots_refresh(request_1_2)
    assert _slots() == [(request_1_2.pk, "research-lead", "any", 3)]
    assert _waiting(org) == [
        {"role": "research-lead", "team": "Research", "where": "any team", "requests": 1}
    ]
    OpenSlot.objects.all().delete()
    open_slots_rebuild()
    assert _slots() == [(request_1_2.pk, "research-lead", "any", 3)]
