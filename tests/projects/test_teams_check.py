"""``manage.py teams_check``: drift between the team records and the groups and
permission rows derived from them is reported (exit non-zero) and repaired, audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from projects.models import (
    AuditEvent,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
)
from projects.permissions import Action, projects_for, user_can

pytestmark = pytest.mark.django_db


def _perm(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="projects", codename=codename)


def _check(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("teams_check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _drift(org) -> None:
    """Raw writes that go around the services, one of each kind."""
    research, product = org.teams["research"], org.teams["product"]
    org.lead.groups.remove(research.members_group)  # a member out of her group
    org.outsider.groups.add(research.reviewers_group)  # a reviewer with no role
    product.members_group.permissions.add(_perm("view_project"))  # a global permission
    ProjectUserObjectPermission.objects.create(  # a row for one user, outside the teams
        content_object=org.project, user=org.outsider, permission=_perm("change_project")
    )
    ProjectGroupObjectPermission.objects.filter(  # a derived row lost
        content_object=org.project, group=research.members_group, permission=_perm("change_project")
    ).delete()
    ProjectGroupObjectPermission.objects.create(  # a row no team rule gives
        content_object=org.project, group=product.members_group, permission=_perm("sign_off")
    )


def test_no_drift_after_the_services(org):
    out, err = _check()
    assert "No drift" in out
    assert err == ""


def test_drift_is_reported_one_line_each_and_exits_non_zero(org):
    _drift(org)
    rows_before = ProjectGroupObjectPermission.objects.count()
    with pytest.raises(CommandError, match="5 drift"):
        _check()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("teams_check", stderr=err)
    lines = err.getvalue().splitlines()
    assert "DRIFT group team:research:members: missing lead" in lines
    assert "DRIFT group team:research:reviewers: extra outsider" in lines
    assert "DRIFT group team:product:members holds global permissions: projects.view_project" in (
        lines
    )
    assert (
        "DRIFT user row: outsider holds change_project on vision "
        "(permissions come only from team groups)" in lines
    )
    assert "DRIFT project vision: group permission rows missing 1 row(s), extra 1 row(s)" in lines
    # Reporting changed nothing (the comparison ran in a rolled-back savepoint).
    assert ProjectGroupObjectPermission.objects.count() == rows_before
    assert not user_can(org.researcher, Action.CHANGE, org.project)


def test_repair_restores_the_derived_state_on_the_record(org):
    _drift(org)
    out, _ = _check("--repair")
    assert "5 drift(s) repaired." in out
    assert "REPAIRED group team:research:members: missing lead" in out
    assert _check()[0].startswith("No drift")
    assert org.lead.groups.filter(pk=org.teams["research"].members_group_id).exists()
    assert not org.outsider.groups.exists()
    assert not org.teams["product"].members_group.permissions.exists()
    assert projects_for(org.outsider).count() == 0
    assert user_can(org.researcher, Action.CHANGE, org.project)
    assert not user_can(org.prod, Action.CHANGE, org.project)
    team_event = AuditEvent.objects.get(kind="teams.repaired")
    assert team_event.chain == "org"
    assert "group team:research:reviewers: extra outsider" in team_event.payload["found"]
    project_event = AuditEvent.objects.get(kind="permissions.repaired", project=org.project)
    assert project_event.payload["added"] == ["team:research:members change_project"]
    assert project_event.payload["removed"] == ["team:product:members sign_off"]
    verified = StringIO()
    call_command("verify_audit", stdout=verified)
    assert "all intact" in verified.getvalue()


def test_repair_with_nothing_to_do_writes_nothing(org):
    before = AuditEvent.objects.count()
    out, _ = _check("--repair")
    assert "0 drift(s) repaired." in out
    assert AuditEvent.objects.count() == before


def test_repair_records_a_named_superuser_and_refuses_anyone_else(org):
    with pytest.raises(CommandError, match="not an active superuser"):
        _check("--repair", "--actor", "lead")
    org.lead.groups.remove(org.teams["research"].members_group)
    org.outsider.is_superuser = True
    org.outsider.save()
    _check("--repair", "--actor", "outsider")
    assert AuditEvent.objects.get(kind="teams.repaired").actor_id == org.outsider.pk
