"""The tables the docs print agree with the code (issue 7).

- docs/workflow.md "The default gate policy" is parsed and compared with
  ``gates.defaults.DEFAULT_POLICIES`` (the one source the seed installs).
- docs/architecture.md's transition table is parsed and compared with
  ``reviews.state_machine.TRANSITIONS``.

The review tests keep their own copies on purpose: ``tests/reviews/steps.py``
``GATE_REVIEWERS`` (who fills each default gate) and the literal transition
table of ``tests/reviews/test_state_machine.py`` are written by hand, so a
change to the code has to be made in the docs and the tests as well.
"""

from __future__ import annotations

import re
from pathlib import Path

from gates.defaults import DEFAULT_POLICIES
from gates.models import SlotScope
from reviews.state_machine import TRANSITIONS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after ``heading``."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without the header and the --- line


def _names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def _slot(text: str) -> tuple[tuple[str, ...], int, str]:
    text = text.replace("\\*", "*")
    match = re.fullmatch(r"one of (.+), from the owning team", text)
    if match:
        roles = tuple(r.strip() for r in match.group(1).replace("**or**", ",").split(","))
        return tuple(r for r in roles if r), 1, SlotScope.OWNING_TEAM
    count = 1
    if text.endswith(" x2"):
        text, count = text[: -len(" x2")], 2
    scope = SlotScope.INDEPENDENT if text.endswith("*") else SlotScope.ANY
    return (text.rstrip("*"),), count, scope


def _docs_policies() -> dict[str, dict]:
    text = (DOCS / "workflow.md").read_text()
    policies = {}
    for gate, slots, checks, sections, waivers in _table_after(text, "## The default gate policy"):
        key = gate.replace(" -> ", "-")
        policies[key] = {
            "slots": [_slot(s.strip()) for s in slots.split(";")],
            "checks": [] if key == "entry" else _names(checks),
            "sections": _names(sections),
            "waivers": [] if waivers == "nobody" else [w.strip() for w in waivers.split(",")],
        }
    return policies


def _code_policies() -> dict[str, dict]:
    return {
        row["key"]: {
            "slots": [(tuple(roles), count, scope) for roles, count, scope in row["slots"]],
            "checks": list(row["checks"]),
            "sections": list(row["sections"]),
            "waivers": list(row["waivers"]),
        }
        for row in DEFAULT_POLICIES
    }


def test_workflow_md_default_policy_table_matches_the_code():
    docs, code = _docs_policies(), _code_policies()
    assert list(docs) == list(code)
    for key in code:
        assert docs[key] == code[key], key


def test_architecture_md_transition_table_matches_the_state_machine():
    text = (DOCS / "architecture.md").read_text()
    rows = _table_after(text, "## The request state machine")
    documented = {(source, event): target for source, event, target, _ in rows}
    assert documented == {(str(s), str(e)): str(t) for (s, e), t in TRANSITIONS.items()}
