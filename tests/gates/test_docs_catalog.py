"""docs/checks.md lists every registered check with its level."""

from pathlib import Path

import pytest

from gates.checks.base import REGISTRY

DOC = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_check_is_documented_with_its_level(key):
    assert f"| `{key}` | {REGISTRY[key].level} |" in DOC
