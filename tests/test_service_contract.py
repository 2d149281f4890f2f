"""The service contract: every write service takes a required ``actor`` and refuses
someone who may not act (issue 6).

``WRITE_SERVICES`` calls each service as an outsider (no team, no role) with
otherwise valid arguments and expects ``PermissionDenied``: the permission is
checked before anything is validated or written. The table is checked against
the public functions of the service modules, so a new service without a row
here fails ``test_the_table_lists_every_public_function``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

import gates.defaults
import gates.evidence
import gates.policies
import gates.policy_documents
import gates.runs
import gates.services
import projects.services
import projects.services_teams
import projects.tokens
import reviews.followups
import reviews.risk
import reviews.services
import reviews.waivers
import webhooks.delivery
import webhooks.services
from gates.models import GatePolicy
from projects.actors import system_actor
from projects.models import AuditEvent, ReviewRole
from reviews.models import LevelChangeRequest, Waiver
from tests.org import SHA_A, SHA_B, Org, make_user

SERVICE_MODULES: tuple[ModuleType, ...] = (
    projects.services,
    projects.services_teams,
    reviews.services,
    reviews.followups,
    reviews.waivers,
    reviews.risk,
    gates.services,
    gates.runs,
    gates.policies,
    gates.defaults,
    gates.evidence,
    projects.tokens,
    gates.policy_documents,
    webhooks.services,
)

# Public functions of those modules that write nothing (validators, reads, resolvers).
NOT_WRITES = {
    "gates.services.clean_commit_sha",
    "gates.policies.advance_key",
    "gates.policies.policy_snapshot",
    "gates.policies.policy_slots_problem",
    "gates.policies.policy_by_key",
    "gates.policies.requirements_resolve",
    # publishes a never-published policy as the ``migrate`` system actor (an install step)
    "gates.policies.policy_current_version",
    "gates.evidence.evidence_level_compute",
    "reviews.risk.risk_reasons",
    "reviews.risk.monitored_project_ids",
    "gates.evidence.cumulative_required_checks",
    "projects.tokens.token_digest",
    "gates.policy_documents.policy_document_render",
    "gates.policy_documents.policy_document_parse",
    "gates.policy_documents.policy_versions_diff",
    "projects.tokens.token_split",
    # authenticates a request; writes only the token's last-used time and address
    "projects.tokens.token_authenticate",
}


@dataclass
class World:
    org: Org
    request: LevelChangeRequest
    waiver: Waiver


@pytest.fixture
def world(org) -> World:
    request = reviews.services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    waiver = reviews.waivers.waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="README lives in the wiki.",
        expires_at=timezone.now() + timedelta(days=7),
    )
    return World(org, request, waiver)


def _team(w: World):
    return w.org.teams["research"]


def _hook(w: World):
    """A subscription to vision made by its owner (rolled back with the call)."""
    return webhooks.services.subscription_create(
        actor=w.org.researcher,
        project=w.org.project,
        url="https://8.8.8.8/h",
        events=["level.changed"],
    ).subscription


Call = Callable[[World, Any], object]

# service path -> a call with otherwise valid arguments, made as ``actor``
WRITE_SERVICES: dict[str, Call] = {
    "gates.policy_documents.policy_import": lambda w, a: gates.policy_documents.policy_import(
        key="0-1", document={"title": "Changed"}, actor=a
    ),
    "projects.tokens.token_create": lambda w, a: projects.tokens.token_create(
        user=w.org.researcher, name="ci", scopes=["read"], actor=a
    ),
    "projects.tokens.token_revoke": lambda w, a: projects.tokens.token_revoke(
        token=projects.tokens.token_create(
            user=w.org.researcher, name="ci", scopes=["read"], actor=w.org.researcher
        ).token,
        actor=a,
    ),
    "projects.services_teams.team_create": lambda w, a: projects.services.team_create(
        slug="new-team", name="New team", actor=a
    ),
    "projects.services_teams.membership_add": lambda w, a: projects.services.membership_add(
        team=_team(w), user=make_user("newcomer"), actor=a
    ),
    "projects.services_teams.membership_maintainer_set": (
        lambda w, a: projects.services.membership_maintainer_set(
            team=_team(w), user=w.org.peer, is_maintainer=True, actor=a
        )
    ),
    "projects.services_teams.membership_remove": lambda w, a: projects.services.membership_remove(
        team=_team(w), user=w.org.peer, actor=a
    ),
    "projects.services_teams.role_grant": lambda w, a: projects.services.role_grant(
        team=_team(w), user=w.org.researcher, role=ReviewRole.objects.get(key="ethics"), actor=a
    ),
    "projects.services_teams.role_revoke": lambda w, a: projects.services.role_revoke(
        team=_team(w), user=w.org.peer, role=ReviewRole.objects.get(key="research-peer"), actor=a
    ),
    "projects.services.project_create": lambda w, a: projects.services.project_create(
        team=_team(w), slug="speech", name="Speech model", actor=a
    ),
    "projects.services.project_update": lambda w, a: projects.services.project_update(
        project=w.org.project, name="Renamed", actor=a
    ),
    "projects.services.project_level_apply": lambda w, a: projects.services.project_level_apply(
        project=w.org.project, to_level=1, actor=a, reason="forced"
    ),
    "projects.services.project_evidence_set": (
        lambda w, a: projects.services.project_evidence_set(
            project=w.org.project, level=3, commit_sha=SHA_A, actor=a
        )
    ),
    "projects.services.card_update": lambda w, a: projects.services.card_update(
        project=w.org.project, tldr="Defaced.", actor=a
    ),
    "reviews.services.request_open": lambda w, a: reviews.services.request_open(
        project=w.org.project, actor=a, kind="advance", to_level=1
    ),
    "reviews.services.request_checks_rerun": lambda w, a: reviews.services.request_checks_rerun(
        level_request=w.request, actor=a
    ),
    "reviews.services.request_submit": lambda w, a: reviews.services.request_submit(
        level_request=w.request, actor=a
    ),
    "reviews.services.request_withdraw": lambda w, a: reviews.services.request_withdraw(
        level_request=w.request, actor=a
    ),
    "reviews.services.request_resubmit": lambda w, a: reviews.services.request_resubmit(
        level_request=w.request, actor=a
    ),
    "reviews.services.signoff_record": lambda w, a: reviews.services.signoff_record(
        level_request=w.request, actor=a, decision="approve"
    ),
    "reviews.services.request_reevaluate": lambda w, a: reviews.services.request_reevaluate(
        level_request=w.request, actor=a
    ),
    "reviews.services.request_pin_commit": lambda w, a: reviews.services.request_pin_commit(
        level_request=w.request, commit_sha=SHA_B, actor=a
    ),
    "reviews.services.comment_add": lambda w, a: reviews.services.comment_add(
        level_request=w.request, actor=a, body="Looks fine to me."
    ),
    "reviews.followups.request_follow_commit": (
        lambda w, a: reviews.followups.request_follow_commit(
            project_id=w.org.project.pk, commit_sha=SHA_B, actor=a
        )
    ),
    "reviews.followups.requests_reevaluate_for_commit": (
        lambda w, a: reviews.followups.requests_reevaluate_for_commit(
            project_id=w.org.project.pk, commit_sha=SHA_A, actor=a
        )
    ),
    "reviews.followups.requests_reevaluate_for_project": (
        lambda w, a: reviews.followups.requests_reevaluate_for_project(
            project_id=w.org.project.pk, actor=a
        )
    ),
    "reviews.followups.push_record": lambda w, a: reviews.followups.push_record(
        project=w.org.project, branch="main", commit_sha=SHA_B, actor=a
    ),
    "reviews.waivers.waiver_grant": lambda w, a: reviews.waivers.waiver_grant(
        project=w.org.project,
        check_key="readme_purpose",
        actor=a,
        reason="Because.",
        expires_at=timezone.now() + timedelta(days=3),
    ),
    "reviews.waivers.waiver_revoke": lambda w, a: reviews.waivers.waiver_revoke(
        waiver=w.waiver, actor=a
    ),
    "gates.services.check_run_record_completed": (
        lambda w, a: gates.services.check_run_record_completed(
            project=w.org.project,
            commit_sha=SHA_A,
            results=[{"check_key": "readme_purpose", "outcome": "pass"}],
            actor=a,
        )
    ),
    "gates.services.external_result_record": lambda w, a: gates.services.external_result_record(
        project=w.org.project, commit_sha=SHA_A, check_key="coverage", outcome="pass", actor=a
    ),
    "gates.runs.check_run_request": lambda w, a: gates.runs.check_run_request(
        project=w.org.project, trigger="manual", actor=a
    ),
    "gates.policies.policy_publish": lambda w, a: gates.policies.policy_publish(
        policy=GatePolicy.objects.get(key="0-1"), actor=a
    ),
    "gates.defaults.policies_install": lambda w, a: gates.defaults.policies_install(actor=a),
    "gates.evidence.project_evidence_update": lambda w, a: gates.evidence.project_evidence_update(
        project_id=w.org.project.pk, commit_sha=SHA_A, run_id=0, actor=a
    ),
    "reviews.risk.project_risk_assess": lambda w, a: reviews.risk.project_risk_assess(
        project_id=w.org.project.pk, actor=a
    ),
    "reviews.waivers.waivers_expiring_announce": (
        lambda w, a: reviews.waivers.waivers_expiring_announce(actor=a)
    ),
    "webhooks.services.subscription_create": lambda w, a: webhooks.services.subscription_create(
        actor=a, project=w.org.project, url="https://8.8.8.8/h", events=["level.changed"]
    ),
    "webhooks.services.subscription_update": lambda w, a: webhooks.services.subscription_update(
        subscription=_hook(w), actor=a, active=False
    ),
    "webhooks.services.subscription_delete": lambda w, a: webhooks.services.subscription_delete(
        subscription=_hook(w), actor=a
    ),
    "webhooks.services.delivery_redeliver": lambda w, a: webhooks.services.delivery_redeliver(
        delivery=webhooks.delivery.deliveries_create(
            [_hook(w)], event="level.changed", body="{}", event_id=None
        )[0],
        actor=a,
    ),
}


def _public_functions(module: ModuleType) -> set[str]:
    return {
        f"{module.__name__}.{name}"
        for name, obj in vars(module).items()
        if inspect.isfunction(obj)
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    }


def _function(path: str):
    module_name, name = path.rsplit(".", 1)
    module = next(m for m in SERVICE_MODULES if m.__name__ == module_name)
    return getattr(module, name)


def test_the_table_lists_every_public_function():
    public = set().union(*(_public_functions(m) for m in SERVICE_MODULES))
    unlisted = public - set(WRITE_SERVICES) - NOT_WRITES
    assert not unlisted, f"write services without a row in WRITE_SERVICES: {sorted(unlisted)}"
    assert set(WRITE_SERVICES) <= public, sorted(set(WRITE_SERVICES) - public)


@pytest.mark.parametrize("path", sorted(WRITE_SERVICES))
def test_every_write_service_requires_a_keyword_actor(path):
    parameter = inspect.signature(_function(path)).parameters.get("actor")
    assert parameter is not None, f"{path} takes no actor"
    assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is inspect.Parameter.empty, f"{path}: actor must be required"


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "nobody"])
@pytest.mark.parametrize("path", sorted(WRITE_SERVICES))
def test_every_write_service_refuses_an_outsider(world, path, who):
    actor = world.org.outsider if who == "outsider" else None
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied), transaction.atomic():
        WRITE_SERVICES[path](world, actor)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["worker", "beat", "ci", "migrate"])
@pytest.mark.parametrize(
    "path",
    [
        "reviews.services.signoff_record",
        "reviews.waivers.waiver_grant",
        "projects.services.card_update",
        "projects.services.project_update",
        "projects.services_teams.membership_add",
    ],
)
def test_system_actors_never_sign_off_waive_or_edit(world, path, name):
    with pytest.raises(PermissionDenied), transaction.atomic():
        WRITE_SERVICES[path](world, system_actor(name))


@pytest.mark.django_db
def test_system_actors_are_inactive_named_users_that_cannot_log_in():
    worker = system_actor("worker")
    assert worker.username == "system:worker"
    assert not worker.is_active and not worker.has_usable_password()
    assert system_actor("worker").pk == worker.pk  # created once, on demand
    with pytest.raises(ValueError, match="Unknown system actor 'root'"):
        system_actor("root")
