"""``seed_portfolio``: the bulk path writes a valid audit chain and a usable organisation."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from portfolio.dashboard import dashboard_tables
from portfolio.filters import Filters
from projects.audit import audit_verify_all
from projects.models import AuditEvent, MLTRLCard, Project
from projects.permissions import projects_for
from reviews.models import LevelChangeRequest


@pytest.mark.django_db
def test_seed_writes_projects_history_and_a_valid_audit_chain(django_user_model):
    out, err = StringIO(), StringIO()
    call_command("seed_portfolio", projects=60, teams=3, stdout=out, stderr=err)
    assert Project.objects.count() == 60
    assert MLTRLCard.objects.count() == 60
    assert "60/60" in err.getvalue()  # the progress bar
    assert AuditEvent.objects.filter(kind="level.changed").exists()
    assert LevelChangeRequest.objects.filter(state="approved").exists()
    checked, breaks = audit_verify_all()
    assert breaks == [] and checked == 61  # 60 project chains and the org chain
    # a team member sees exactly the team's projects through the permission rows
    member = django_user_model.objects.get(username="pf-team-001-member")
    assert projects_for(member).count() == 20
    assert set(projects_for(member).values_list("team__slug", flat=True)) == {"pf-team-001"}
    tables = {t.key: t for t in dashboard_tables(member, Filters())}
    assert sum(r["total"] for r in tables["levels"].rows) == 20
    # levels in the history end where the project stands
    for project in Project.objects.all()[:20]:
        last = project.audit_events.filter(kind="level.changed").order_by("-seq").first()
        assert (last.payload["to_level"] if last else 0) == project.level
