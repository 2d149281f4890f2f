"""The level-stay rollup: written with every level change, equal to a rebuild from the audit log."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from projects import services
from projects.level_stays import stays_differ, stays_rebuild
from projects.models import LevelStay, Project
from tests.org import admin_actor
from tests.portfolio.fixed_org import DAY0


def _rows(project_id: int | None = None) -> list[tuple]:
    qs = LevelStay.objects.order_by("project_id", "event_seq")
    if project_id is not None:
        qs = qs.filter(project_id=project_id)
    return list(qs.values_list("project_id", "level", "reached", "entered_at", "left_at"))


def test_a_level_change_closes_the_open_stay_and_opens_the_next(fixed):
    alpha = fixed.projects["alpha"]
    # alpha: created day 0 at 0; 1 on day 1, 2 on day 3, 3 on day 6; switchback to 2 on day 8
    day = [DAY0.replace(day=5 + n) for n in range(9)]
    assert _rows(alpha.pk) == [
        (alpha.pk, 0, 0, day[0], day[1]),
        (alpha.pk, 1, 1, day[1], day[3]),
        (alpha.pk, 2, 2, day[3], day[6]),
        (alpha.pk, 3, 3, day[6], day[8]),
        (alpha.pk, 2, 3, day[8], None),  # back at 2, having reached 3
    ]


def test_the_incremental_rollup_equals_a_rebuild_from_the_audit_log(fixed):
    incremental = _rows()
    assert len(incremental) == 6 + 4 + 1 + 1 + 1  # a stay per level event of the six projects
    assert stays_differ() == []
    LevelStay.objects.all().delete()
    assert stays_differ() == sorted(p.pk for p in fixed.projects.values())
    assert stays_rebuild() == len(incremental)
    assert _rows() == incremental
    assert stays_rebuild() == len(incremental)  # idempotent
    assert _rows() == incremental


def test_the_rollup_rolls_back_with_the_level_change(fixed):
    beta = fixed.projects["beta"]
    before = _rows(beta.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=beta.pk)
        services.project_level_apply(project=locked, to_level=8, actor=admin_actor(), reason="x")
        assert _rows(beta.pk)[-1][1:3] == (8, 8)
        raise RuntimeError("the change fails after the level was applied")
    assert _rows(beta.pk) == before


def test_rebuild_command_repairs_and_check_reports_a_difference(fixed):
    LevelStay.objects.filter(project=fixed.projects["delta"]).update(level=9, reached=9)
    with pytest.raises(CommandError, match="1 project"):
        call_command("rebuild_level_stays", "--check", stdout=StringIO())
    out = StringIO()
    call_command("rebuild_level_stays", stdout=out)
    assert "Rebuilt 13 level stays" in out.getvalue()
    call_command("rebuild_level_stays", "--check", stdout=out)
    assert "match the audit log" in out.getvalue()


@pytest.mark.django_db
def test_the_bulk_seeder_writes_stays_equal_to_a_rebuild():
    call_command("seed_portfolio", projects=30, teams=2, stdout=StringIO(), stderr=StringIO())
    assert LevelStay.objects.filter(left_at__isnull=True).count() == 30
    assert stays_differ() == []
