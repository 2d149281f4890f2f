"""The pure gate evaluation: hand-built facts in, a verdict with one sentence per unmet item out.

No database: ``GateFacts`` is built by hand, as ``request_gate_facts`` would build it.
"""

from __future__ import annotations

import pytest

from gates.models import SlotScope
from gates.policies import Requirements, Slot
from gates.selectors import CheckStatus
from reviews.evaluation import (
    Approval,
    ChangeRequest,
    GateFacts,
    describe_slot,
    gate_evaluate,
    match_slots,
)

OWNER, OTHER = 1, 2
LEAD = Slot(("research-lead",), 1, SlotScope.ANY)
PEER = Slot(("research-peer",), 1, SlotScope.ANY)


def _requirements(slots=(LEAD,), checks=(), sections=(), block=False) -> Requirements:
    return Requirements(
        gate="t",
        policy_version=1,
        slots=tuple(slots),
        required_checks=tuple(checks),
        required_card_sections=tuple(sections),
        waiver_roles=("research-lead",),
        stale_approvals_on_new_commit=True,
        block_above_components=block,
    )


def _approval(n: int, role: str, team=OTHER, independent=True) -> Approval:
    return Approval(n, f"user{n}", role, team, independent)


def _facts(**kwargs) -> GateFacts:
    kwargs.setdefault("requirements", _requirements())
    kwargs.setdefault("owning_team_id", OWNER)
    return GateFacts(**kwargs)


def _names(filled) -> list[list[str]]:
    return [[a.reviewer for a in people] for people in filled]


# --- matching ------------------------------------------------------------------------


def test_flexible_reviewer_moves_to_where_nobody_else_can_stand_in():
    either = Slot(("product", "research-lead"), 1, SlotScope.ANY)
    slots = [either, LEAD]
    # user1 could fill either slot and arrives first; user2 fits only the first slot
    approvals = [_approval(1, "research-lead"), _approval(2, "product")]
    assert _names(match_slots(slots, approvals, OWNER)) == [["user2"], ["user1"]]


def test_independent_reviewer_is_kept_for_the_independent_slot():
    slots = [Slot(("product",), 1, SlotScope.ANY), Slot(("product",), 1, SlotScope.INDEPENDENT)]
    approvals = [_approval(1, "product", independent=True), _approval(2, "product", OWNER, False)]
    assert _names(match_slots(slots, approvals, OWNER)) == [["user2"], ["user1"]]


def test_one_approval_fills_one_place_only():
    slots = [Slot(("engineering",), 2, SlotScope.ANY)]
    assert _names(match_slots(slots, [_approval(1, "engineering")], OWNER)) == [["user1"]]
    three = [_approval(1, "engineering"), _approval(2, "engineering"), _approval(3, "engineering")]
    (filled,) = _names(match_slots(slots, three, OWNER))
    assert len(filled) == 2
    assert len(set(filled)) == 2


@pytest.mark.parametrize(
    ("scope", "team", "independent", "fits"),
    [
        (SlotScope.ANY, OWNER, False, True),
        (SlotScope.ANY, OTHER, True, True),
        (SlotScope.INDEPENDENT, OTHER, True, True),
        (SlotScope.INDEPENDENT, OTHER, False, False),  # another team, but an owner member
        (SlotScope.INDEPENDENT, OWNER, False, False),
        (SlotScope.OWNING_TEAM, OWNER, False, True),
        (SlotScope.OWNING_TEAM, OTHER, True, False),
    ],
)
def test_scope_decides_who_fits(scope, team, independent, fits):
    slot = Slot(("product",), 1, scope)
    filled = match_slots([slot], [_approval(1, "product", team, independent)], OWNER)
    assert bool(filled[0]) is fits


def test_wrong_role_fills_nothing():
    assert match_slots([LEAD], [_approval(1, "research-peer")], OWNER) == [[]]


# --- sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        (LEAD, "research-lead"),
        (Slot(("product", "research-lead"), 1, SlotScope.ANY), "product or research-lead"),
        (Slot(("ethics",), 1, SlotScope.INDEPENDENT), "ethics from outside the owning team"),
        (Slot(("product",), 1, SlotScope.OWNING_TEAM), "product from the owning team"),
    ],
)
def test_describe_slot(slot, text):
    assert describe_slot(slot) == text


def test_all_met_is_approved_with_nothing_missing():
    facts = _facts(
        requirements=_requirements(checks=("readme",), sections=("tldr",)),
        approvals=[_approval(1, "research-lead")],
        checks={"readme": CheckStatus("readme", "pass", "found")},
    )
    verdict = gate_evaluate(facts)
    assert verdict.approved is True
    assert verdict.missing == ()
    assert verdict.warnings == ()
    assert verdict.slots[0].filled_by == ("user1",)
    assert verdict.slots[0].missing == 0


def test_each_unmet_item_has_its_sentence():
    reqs = _requirements(
        slots=(LEAD, Slot(("engineering",), 2, SlotScope.ANY)),
        checks=("a", "b", "c", "d", "e"),
        sections=("tldr", "pitch"),
    )
    facts = _facts(
        requirements=reqs,
        approvals=[],
        outstanding_changes=[
            ChangeRequest("peer", ("Add seeds", "Log runs")),
            ChangeRequest("eng", ()),
        ],
        checks={
            "a": CheckStatus("a", "fail", "no README"),
            "b": CheckStatus("b", "error", "git timed out"),
            "c": CheckStatus("c", None, "No result on this commit yet."),
            "d": CheckStatus("d", "pass", "ok"),
        },
        empty_card_sections=("tldr", "pitch"),
    )
    verdict = gate_evaluate(facts)
    assert verdict.approved is False
    assert verdict.missing == (
        "Needs 1 more approval from research-lead.",
        "Needs 2 more approvals from engineering.",
        "peer requested changes: Add seeds; Log runs.",
        "eng requested changes: see their comment.",
        "Check a fails: no README",
        "Check b errors: git timed out",
        "Check c has no result: No result on this commit yet.",
        "Check e has no result: No result yet.",
        "The MLTRL card section 'tldr' is empty.",
        "The MLTRL card section 'pitch' is empty.",
    )
    assert [s.missing for s in verdict.slots] == [1, 2]


def test_warn_outcome_passes_with_a_warning():
    facts = _facts(
        requirements=_requirements(checks=("coverage",)),
        approvals=[_approval(1, "research-lead")],
        checks={"coverage": CheckStatus("coverage", "warn", "78% is near the 80% bar")},
    )
    verdict = gate_evaluate(facts)
    assert verdict.approved is True
    assert verdict.warnings == ("Check coverage passed with a warning: 78% is near the 80% bar",)


@pytest.mark.parametrize("outcome", ["fail", "error", None])
def test_failing_or_missing_check_blocks_unless_waived(outcome):
    checks = {} if outcome is None else {"k": CheckStatus("k", outcome, "bad")}
    base = dict(
        requirements=_requirements(checks=("k",)),
        approvals=[_approval(1, "research-lead")],
        checks=checks,
    )
    blocked = gate_evaluate(_facts(**base))
    assert blocked.approved is False
    assert len(blocked.missing) == 1
    assert blocked.missing[0].startswith("Check k ")

    waived = gate_evaluate(_facts(**base, waived_checks=frozenset({"k"})))
    assert waived.approved is True
    assert waived.missing == ()
    assert waived.warnings == ("Check k is waived.",)


def test_waiver_of_a_check_the_gate_does_not_require_changes_nothing():
    facts = _facts(
        requirements=_requirements(checks=("k",)),
        approvals=[_approval(1, "research-lead")],
        waived_checks=frozenset({"other"}),
    )
    assert gate_evaluate(facts).missing == ("Check k has no result: No result yet.",)


def test_empty_card_section_blocks():
    facts = _facts(approvals=[_approval(1, "research-lead")], empty_card_sections=("caveats",))
    verdict = gate_evaluate(facts)
    assert verdict.approved is False
    assert verdict.missing == ("The MLTRL card section 'caveats' is empty.",)


@pytest.mark.parametrize("block", [False, True])
def test_component_below_target_warns_or_blocks(block):
    facts = _facts(
        requirements=_requirements(block=block),
        approvals=[_approval(1, "research-lead")],
        components_below=[("pipe", 2)],
        to_level=4,
    )
    verdict = gate_evaluate(facts)
    sentence = "Coupled component pipe is at level 2, below the requested level 4."
    assert verdict.approved is not block
    assert (verdict.missing if block else verdict.warnings) == (sentence,)
