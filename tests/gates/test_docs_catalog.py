"""docs/checks.md lists every registered check with its level."""

from pathlib import Path

import pytest

from gates.checks.base import REGISTRY

DOC = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_check_is_documented_with_its_level(key):
    assert f"| `{key}` | {REGISTRY[key].level} |" in DOC


def _section(key: str) -> str:
    """The text of the "What counts" entry naming ``key`` in its heading."""
    start = next(
        i
        for i, line in enumerate(DOC.splitlines())
        if line.startswith("### ") and f"`{key}`" in line
    )
    lines = DOC.splitlines()[start + 1 :]
    end = next((i for i, line in enumerate(lines) if line.startswith("#")), len(lines))
    return "\n".join(lines[:end])


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_check_says_what_counts_and_what_does_not_with_examples(key):
    text = _section(key)
    assert "- Counts" in text and "- Does not count" in text, key
    assert text.count("Example") >= 2, key
