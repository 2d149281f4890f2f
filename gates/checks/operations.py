"""Operations: prediction logging (gate 7-8), monitoring plan and runbook (8-9).

- prediction_logging: a configuration file (yaml/json/toml/ini/cfg/conf/
  properties, or any text file under monitoring/) or Python file that sets
  a key such as ``prediction_logging``, ``log_predictions``,
  ``input_statistics``, ``inference_logging``, ``data_capture`` to a value
  other than false/off/no/0 (or opens a TOML/INI section of that name),
  defines a logger named "predictions" (dictConfig / YAML ``loggers``, INI
  ``[logger_predictions]``, ``getLogger("predictions")``), or uses
  SageMaker's ``DataCaptureConfig``. Comment lines, notebooks, lock files and
  vendored folders do not count. ``.mltrl.toml`` has no path key for this.
- monitoring_plan: MONITORING.md, docs/monitoring-plan.md, ... (or
  ``[paths] monitoring_plan``) with sections on data drift, data quality,
  training-serving skew and alerting; all required.
- runbook: RUNBOOK.md, docs/runbook.md, ... (or ``[paths] runbook``) with a
  fallback-mode section and a rollback / incident section.
"""

from __future__ import annotations

import re

from .base import CheckContext, CheckOutput, failed, passed
from .common import VENDORED, capped, check, doc_names, rx, sectioned_document

CONFIG_FILE = re.compile(r"\.(ya?ml|json|toml|ini|cfg|conf|properties)$", re.I)
LOCK_FILE = re.compile(r"(\.lock|-lock\.json|lock\.ya?ml)$", re.I)
MONITORING_DIR = re.compile(r"(^|/)monitoring/", re.I)
PRE_FILTER = ("predict", "input_stat", "inputstat", "input-stat", "inference", "capture", "payload")
LOGGING_KEY = re.compile(
    r"""^[^#\n]*?["']?\b(
        predictions?[_-]?logg(?:ing|er)s?
      | predictions?[_-]?logs?
      | log[_-]?(?:predictions?|inputs?)
      | input[_-]?(?:statistics|stats)
      | inference[_-]?logg?(?:ing|s)?
      | data[_-]?capture(?:[_-]?config)?
      | payload[_-]?logging
    )\b["']?[ \t]*[:=][ \t]*([^\n]*)""",
    re.I | re.M | re.X,
)
FALSY = re.compile(r"^[\"']?(false|off|no|0|none|null|disabled?|~)[\"']?[,;]?\s*(#.*)?$", re.I)
PREDICTIONS_LOGGER = re.compile(
    r"""^[^#\n]*(getLogger\(\s*["'][\w.]*predictions?["']|DataCaptureConfig\s*\()
      | ^\[logger_predictions?\]""",
    re.M | re.X,
)
LOGGER_KEY = re.compile(r"""^\s*["']?predictions?["']?\s*:""", re.M)
SECTION = re.compile(
    r"^\[[\w.-]*?\b(predictions?[_-]?logging|log[_-]?predictions|input[_-]?statistics)\]",
    re.I | re.M,
)


def _prediction_hit(path: str, text: str) -> tuple[int, str] | None:
    lower = text.lower()
    if not any(token in lower for token in PRE_FILTER):
        return None
    for m in LOGGING_KEY.finditer(text):
        if not FALSY.match(m.group(2).strip()):
            return text.count("\n", 0, m.start(1)) + 1, m.group(1)
    m = SECTION.search(text)
    if m is not None:
        return text.count("\n", 0, m.start()) + 1, m.group(1)
    m = PREDICTIONS_LOGGER.search(text)
    if m is None and CONFIG_FILE.search(path) and "loggers" in lower:
        m = LOGGER_KEY.search(text)
    if m is not None:
        return text.count("\n", 0, m.start()) + 1, "'predictions' logger"
    return None


@check("prediction_logging", "Prediction logging configured", level=7)
def prediction_logging(ctx: CheckContext) -> CheckOutput:
    """Model inputs and predictions are logged (configuration or a 'predictions' logger)."""
    candidates = [
        p
        for p in sorted(ctx.files())
        if not VENDORED.search(p)
        if not LOCK_FILE.search(p)
        and not p.lower().endswith(".ipynb")
        and (CONFIG_FILE.search(p) or MONITORING_DIR.search(p) or p.lower().endswith(".py"))
    ]
    facts = ctx.file_facts("prediction_logging:v1", candidates, _prediction_hit)
    hits = [
        {"path": path, "line": fact[0], "setting": fact[1]}
        for path, fact in sorted(facts.items())
        if fact
    ]
    if hits:
        first = hits[0]
        return passed(
            f"Prediction logging is configured in {first['path']} "
            f"(line {first['line']}: {first['setting']}).",
            found=capped(hits),
            count=len(hits),
        )
    return failed(
        "No prediction or input logging configuration was found.",
        "Log model inputs and predictions: add a 'predictions' logger to your logging "
        "configuration, or a monitoring/ config with 'prediction_logging: true'.",
        scanned_files=len(candidates),
    )


MONITORING_NAMES = doc_names(
    "MONITORING",
    "MONITORING_PLAN",
    "docs/monitoring-plan",
    "docs/monitoring_plan",
    "docs/monitoring",
    "monitoring/README",
)
MONITORING_SECTIONS = {
    "Data drift": rx(r"drift"),
    "Data quality": rx(r"quality"),
    "Training-serving skew": rx(r"skew"),
    "Alerting": rx(r"alert|on-?call|paging|escalat"),
}


@check("monitoring_plan", "Monitoring plan", level=8)
def monitoring_plan(ctx: CheckContext) -> CheckOutput:
    """A monitoring plan covering data drift, data quality, training-serving skew and alerting."""
    return sectioned_document(
        ctx,
        path_key="monitoring_plan",
        names=MONITORING_NAMES,
        label="monitoring plan",
        suggested="docs/monitoring-plan.md",
        sections=MONITORING_SECTIONS,
    )


RUNBOOK_NAMES = doc_names("RUNBOOK", "docs/runbook", "runbook/README", "docs/runbooks/README")
RUNBOOK_SECTIONS = {
    "Fallback mode": rx(r"fall[- ]?back"),
    "Rollback and incident steps": rx(r"roll[- ]?back|incident|recover|revert"),
}


@check("runbook", "Runbook with fallback mode", level=8)
def runbook(ctx: CheckContext) -> CheckOutput:
    """An operations runbook with a fallback mode and rollback / incident steps."""
    return sectioned_document(
        ctx,
        path_key="runbook",
        names=RUNBOOK_NAMES,
        label="runbook",
        suggested="docs/runbook.md",
        sections=RUNBOOK_SECTIONS,
    )
