"""The committed OpenAPI schema (docs/openapi.yaml) is the one the code generates."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

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


def _parameter(schema: dict, path: str, name: str) -> dict:
    found = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert len(found) == 1, (path, name)
    return found[0]["schema"]


def test_parameters_are_documented_as_the_server_takes_them():
    """Integers as integers, commits as 40 or 64 hex characters (the server answers 400
    to anything else), a time as a non-empty date-time, ``ordering`` as its terms."""
    schema = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())
    assert _parameter(schema, "/api/v1/waivers/", "request")["type"] == "integer"
    assert _parameter(schema, "/api/v1/runs/", "request")["type"] == "integer"
    gate_commit = _parameter(schema, "/api/v1/projects/{slug}/gate/", "commit")["pattern"]
    body = schema["components"]["schemas"]["RequestOpenIn"]["properties"]["commit"]
    for pattern in (gate_commit, body["oneOf"][0]["pattern"]):
        assert re.match(pattern, "a" * 40) and re.match(pattern, "F" * 64)
        assert not re.match(pattern, "a" * 63) and not re.match(pattern, "")
    at = _parameter(schema, "/api/v1/projects/{slug}/level-at/", "at")
    assert (at["format"], at["minLength"]) == ("date-time", 1)
    ordering = _parameter(schema, "/api/v1/projects/", "ordering")["pattern"]
    assert re.match(ordering, "-level,slug") and re.match(ordering, "")
    assert not re.match(ordering, "bogus") and not re.match(ordering, "level,")
