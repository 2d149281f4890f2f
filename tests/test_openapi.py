"""The committed OpenAPI schema (docs/openapi.yaml) is the one the code generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_committed_schema_matches_generated():
    generated = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, generated.stderr
    committed = (REPO / "docs" / "openapi.yaml").read_text()
    assert generated.stdout == committed, (
        "docs/openapi.yaml is out of date: run `make schema` and commit it."
    )
