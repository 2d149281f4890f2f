"""Checks CI reports through the API for a commit; nothing here reads the repository.

CI posts an ``ExternalCheckResult`` (outcome, message, details) for the pinned
commit under one of these keys; a gate that requires the key waits for it.
"""

from __future__ import annotations

from .base import register_external

register_external(
    "ci_unit_tests",
    "Unit tests pass in CI",
    level=6,
    description="CI reports that the unit test suite passed on the pinned commit "
    "(details: tests run, failures).",
)
register_external(
    "coverage",
    "Test coverage threshold",
    level=6,
    description="CI reports line coverage of the test suite on the pinned commit and whether "
    "it meets the team's threshold (details: percent, threshold).",
)
register_external(
    "golden_eval",
    "Golden-dataset evaluation",
    level=7,
    description="CI reports the model's metrics on the golden (baseline) dataset for the pinned "
    "commit and whether they meet the baseline (details: metrics, baseline).",
)
