"""Every admin list and page is cut by the permission entry point.

A staff user of team Alpha holding the view permission on every admin model sees
none of team Research's records in any change list, and their pages answer 404;
a superuser sees them all. Pickers offer only what the user may see.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gates.models import CheckRun, ExternalCheckResult
from gates.services import external_result_record
from projects import services
from projects.models import (
    AuditChain,
    AuditEvent,
    CardVersion,
    Membership,
    MLTRLCard,
    Project,
    RoleGrant,
    Team,
)
from reviews.models import Comment, LevelChangeRequest, SignOff, Waiver
from reviews.waivers import waiver_grant
from tests.org import admin_actor, make_user
from tests.reviews.steps import approve_all, open_advance, pass_checks

from .conftest import grant_model_perms, logged_in

pytestmark = pytest.mark.django_db

# (admin URL part, model, the filter that finds one of Research's records)
TABLE = [
    ("projects/project", Project, lambda r: {"slug": "vision"}),
    ("projects/mltrlcard", MLTRLCard, lambda r: {"project": r.project}),
    ("projects/cardversion", CardVersion, lambda r: {"project": r.project}),
    ("projects/auditevent", AuditEvent, lambda r: {"project": r.project}),
    ("projects/auditevent", AuditEvent, lambda r: {"chain": "org", "payload__team": "research"}),
    ("projects/auditchain", AuditChain, lambda r: {"key": f"project:{r.project.pk}"}),
    ("projects/auditchain", AuditChain, lambda r: {"key": "org"}),
    ("projects/team", Team, lambda r: {"slug": "research"}),
    ("projects/membership", Membership, lambda r: {"user": r.lead}),
    ("projects/rolegrant", RoleGrant, lambda r: {"user": r.lead}),
    ("reviews/levelchangerequest", LevelChangeRequest, lambda r: {"pk": r.request.pk}),
    ("reviews/signoff", SignOff, lambda r: {"request": r.request}),
    ("reviews/comment", Comment, lambda r: {"request": r.request}),
    ("reviews/waiver", Waiver, lambda r: {"project": r.project}),
    ("gates/checkrun", CheckRun, lambda r: {"project": r.project}),
    ("gates/externalcheckresult", ExternalCheckResult, lambda r: {"project": r.project}),
]

# The global projects.view_project is the portfolio managers' "see every project"
# (docs/architecture.md): Alpha's staff user gets change_project instead, which
# opens the project admin without widening what she sees.
VIEW_PERMS = sorted(
    {f"{url.split('/')[0]}.view_{model._meta.model_name}" for url, model, _ in TABLE}
    - {"projects.view_project"}
)


@pytest.fixture
def research(org):
    """Research's records of every kind, through the services."""
    request = open_advance(org)
    approve_all(org, request, ["lead"])  # a sign-off; the gate still misses its checks
    pass_checks(request, except_=("readme_purpose",))
    # The comment is only the record to look for here (comment_add has its own tests).
    Comment.objects.create(request=request, author=org.peer, body="Looks fine.")
    waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="README is in the wiki for now.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    external_result_record(
        project=org.project,
        commit_sha=request.commit_sha,
        check_key="unit_tests",
        outcome="pass",
        actor=org.researcher,
    )
    org.request = request
    return org


@pytest.fixture
def alice(research):
    """Staff of team Alpha, which owns its own project, with every view permission."""
    alpha = services.team_create(slug="alpha", name="Alpha", actor=admin_actor())
    user = make_user("alice", is_staff=True)
    services.membership_add(team=alpha, user=user, actor=admin_actor())
    services.project_create(team=alpha, slug="alpha-one", name="Alpha one", actor=user)
    grant_model_perms(user, *VIEW_PERMS, "projects.add_project", "projects.change_project")
    return user


@pytest.mark.parametrize(("url", "model", "record"), TABLE, ids=[t[0] for t in TABLE])
def test_another_teams_records_are_not_listed_and_answer_404(research, alice, url, model, record):
    obj = model.objects.filter(**record(research)).first()
    assert obj is not None
    client = logged_in(alice)
    listing = client.get(f"/admin/{url}/")
    assert listing.status_code == 200
    shown = listing.context["cl"].queryset
    assert not shown.filter(pk=obj.pk).exists()
    for page in ("change", "history"):
        assert client.get(f"/admin/{url}/{obj.pk}/{page}/").status_code == 404, page
    # Records nobody deletes in the admin answer 403 for any id, revealing nothing.
    assert client.get(f"/admin/{url}/{obj.pk}/delete/").status_code in (403, 404)
    # A POST needs the change permission first: 403 for any id when she lacks it.
    assert client.post(f"/admin/{url}/{obj.pk}/change/", {}).status_code in (403, 404)


@pytest.mark.parametrize(("url", "model", "record"), TABLE, ids=[t[0] for t in TABLE])
def test_a_superuser_sees_every_record(research, root_client, url, model, record):
    obj = model.objects.filter(**record(research)).first()
    listing = root_client.get(f"/admin/{url}/")
    assert listing.context["cl"].queryset.filter(pk=obj.pk).exists()
    assert root_client.get(f"/admin/{url}/{obj.pk}/change/").status_code == 200


def test_the_staff_user_still_sees_his_own_teams_records(alice):
    client = logged_in(alice)
    own = Project.objects.get(slug="alpha-one")
    listing = client.get("/admin/projects/project/")
    assert list(listing.context["cl"].queryset) == [own]
    assert client.get(f"/admin/projects/project/{own.pk}/change/").status_code == 200
    events = client.get("/admin/projects/auditevent/").context["cl"].queryset
    assert {e.kind for e in events} >= {"project.created", "team.created", "membership.added"}
    assert not events.exclude(project=own).exclude(payload__team="alpha").exists()


def test_pickers_offer_only_visible_projects_and_own_teams(research, alice):
    form = logged_in(alice).get("/admin/projects/project/add/").context["adminform"].form
    assert [p.slug for p in form.fields["components"].queryset] == ["alpha-one"]
    assert [t.slug for t in form.fields["team"].queryset] == ["alpha"]
    # reviewer teams: any team may be invited to review (independent review)
    assert form.fields["reviewer_teams"].queryset.count() == Team.objects.count()


def test_a_reviewer_sees_the_project_read_only(research):
    """Product reviews Vision: it sees it in the admin but may not change it there."""
    prod = research.prod
    prod.is_staff = True
    prod.save()
    grant_model_perms(prod, "projects.view_project", "projects.change_project")
    client = logged_in(prod)
    url = f"/admin/projects/project/{research.project.pk}/change/"
    assert client.get(url).context["has_change_permission"] is False
    assert client.post(url, {"name": "Taken over"}).status_code == 403
    research.project.refresh_from_db()
    assert research.project.name == "Vision model"


def test_the_team_filter_lists_only_teams_among_the_rows_shown(alice):
    beta = services.team_create(slug="beta", name="Beta", actor=admin_actor())
    services.membership_add(team=beta, user=alice, actor=admin_actor())
    services.project_create(team=beta, slug="beta-one", name="Beta one", actor=alice)
    page = logged_in(alice).get("/admin/projects/project/")
    (team_filter,) = [f for f in page.context["cl"].filter_specs if f.title == "team"]
    assert sorted(label for _pk, label in team_filter.lookup_choices) == ["Alpha", "Beta"]
