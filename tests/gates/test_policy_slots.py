"""Every gate and switchback policy asks for at least one approval (issue 6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gates.models import GatePolicy, GatePolicySlot
from gates.policies import Requirements, Slot, policy_publish, policy_slots_problem
from projects.models import ReviewRole
from reviews.evaluation import GateFacts, gate_evaluate
from reviews.models import RequestState
from reviews.services import request_open
from tests.org import admin_actor
from tests.reviews.steps import climb_to

pytestmark = pytest.mark.django_db

NO_APPROVAL = "switchback: A gate policy needs at least one slot asking for at least one approval."


def _zero_the_switchback_slot() -> GatePolicy:
    policy = GatePolicy.objects.get(key="switchback")
    policy.slots.update(count=0)
    return policy


def test_publishing_a_policy_whose_only_slot_asks_for_zero_is_refused():
    policy = _zero_the_switchback_slot()
    versions = policy.versions.count()
    with pytest.raises(ValidationError) as refused:
        policy_publish(policy=policy, actor=admin_actor())
    assert refused.value.messages == [NO_APPROVAL]
    assert policy.versions.count() == versions


def test_publishing_a_policy_with_no_slot_is_refused():
    policy = GatePolicy.objects.get(key="0-1")
    policy.slots.all().delete()
    with pytest.raises(ValidationError, match="at least one slot"):
        policy_publish(policy=policy, actor=admin_actor())


def test_a_zero_slot_beside_a_real_one_is_refused_too():
    policy = GatePolicy.objects.get(key="1-2")
    slot = GatePolicySlot.objects.create(policy=policy, count=0)
    slot.roles.set([ReviewRole.objects.get(key="ethics")])
    with pytest.raises(ValidationError, match="at least 1 approval"):
        policy_publish(policy=policy, actor=admin_actor())
    with pytest.raises(ValidationError) as refused:
        slot.full_clean()
    assert refused.value.message_dict == {"count": ["A slot asks for at least 1 approval."]}


def test_a_slot_without_roles_is_refused():
    assert policy_slots_problem([{"roles": [], "count": 1, "scope": "any"}]) == (
        "Every slot must name at least one role."
    )


def test_a_switchback_is_never_approved_with_no_sign_off(org):
    """The reported attack: count 0 on the switchback slot, then an unsigned approval."""
    climb_to(org, 2)
    policy = _zero_the_switchback_slot()
    with pytest.raises(ValidationError):
        policy_publish(policy=policy, actor=admin_actor())
    request = request_open(
        project=org.project,
        actor=org.researcher,
        kind="switchback",
        to_level=1,
        switchback_kind="discovery",
        reason="Integration found a gap.",
    )
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
    org.project.refresh_from_db()
    assert org.project.level == 2


def test_evaluation_refuses_an_old_version_that_asks_for_nothing():
    """Versions published before the rule existed still approve nothing unsigned."""
    reqs = Requirements(
        gate="switchback",
        policy_version=1,
        slots=(Slot(("research-lead",), 0, "owning_team"),),
        required_checks=(),
        required_card_sections=(),
        waiver_roles=(),
        stale_approvals_on_new_commit=True,
        block_above_components=False,
    )
    verdict = gate_evaluate(
        GateFacts(
            requirements=reqs,
            owning_team_id=1,
            approvals=[],
            outstanding_changes=[],
            checks={},
            waived_checks=frozenset(),
            empty_card_sections=[],
            components_below=[],
            to_level=1,
        )
    )
    assert not verdict.approved
    assert verdict.missing == (
        "The gate's policy asks for no sign-off; an administrator must give it a slot.",
    )
