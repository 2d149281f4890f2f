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
from reviews.open_slots import open_slots_rebuild
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
    # The peer loses the role: their approval no longer counts; evaluation did not
    # run, so only the rebuild (beat) sees it.
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
