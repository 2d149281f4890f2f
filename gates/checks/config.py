"""``.mltrl.toml``: where a repository keeps its documents, and its thresholds.

Example::

    [paths]
    model_card = "docs/model-card.md"
    datasheet = "data/DATASHEET.md"

    [thresholds]
    max_file_bytes = 20_000_000
    min_test_functions = 5

Unknown keys and wrong types are errors, so a typo never silently falls back.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

CONFIG_PATH = ".mltrl.toml"

PATH_KEYS = (
    "readme",
    "research_requirements",
    "product_requirements",
    "datasheet",
    "model_card",
    "ethics_checklist",
    "interface_docs",
    "api_docs",
    "monitoring_plan",
    "runbook",
    "experiments",
)
THRESHOLD_DEFAULTS: dict[str, int] = {
    "max_file_bytes": 10_000_000,
    "min_test_functions": 1,
    "min_shall_statements": 1,
}


class ConfigError(ValueError):
    """The repository's .mltrl.toml cannot be used; the message says why."""


@dataclass(frozen=True)
class MltrlConfig:
    paths: dict[str, str] = field(default_factory=dict)
    thresholds: dict[str, int] = field(default_factory=lambda: dict(THRESHOLD_DEFAULTS))

    def path(self, key: str) -> str | None:
        return self.paths.get(key)

    def threshold(self, key: str) -> int:
        return self.thresholds[key]


def config_parse(text: str | None) -> MltrlConfig:
    """Parse the file's text (None: no file, defaults); ``ConfigError`` on any mistake."""
    if text is None:
        return MltrlConfig()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{CONFIG_PATH} is not valid TOML: {exc}.") from None
    unknown = set(data) - {"paths", "thresholds"}
    if unknown:
        raise ConfigError(
            f"{CONFIG_PATH} has unknown sections: {', '.join(sorted(unknown))} "
            "(use [paths] and [thresholds])."
        )
    paths = data.get("paths", {})
    thresholds = data.get("thresholds", {})
    if not isinstance(paths, dict) or not isinstance(thresholds, dict):
        raise ConfigError(f"{CONFIG_PATH}: [paths] and [thresholds] must be tables.")
    bad_paths = set(paths) - set(PATH_KEYS)
    if bad_paths:
        raise ConfigError(
            f"{CONFIG_PATH} [paths] has unknown keys: {', '.join(sorted(bad_paths))} "
            f"(known: {', '.join(PATH_KEYS)})."
        )
    cleaned: dict[str, str] = {}
    for key, value in paths.items():
        path = value.strip().removeprefix("./") if isinstance(value, str) else ""
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise ConfigError(
                f"{CONFIG_PATH} [paths] {key} must be a relative path inside the repository."
            )
        cleaned[key] = path
    bad_thresholds = set(thresholds) - set(THRESHOLD_DEFAULTS)
    if bad_thresholds:
        raise ConfigError(
            f"{CONFIG_PATH} [thresholds] has unknown keys: {', '.join(sorted(bad_thresholds))} "
            f"(known: {', '.join(THRESHOLD_DEFAULTS)})."
        )
    for key, value in thresholds.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{CONFIG_PATH} [thresholds] {key} must be a whole number >= 0.")
    return MltrlConfig(
        paths=cleaned,
        thresholds={**THRESHOLD_DEFAULTS, **thresholds},
    )
