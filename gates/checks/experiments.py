"""experiment_records: experiment configurations or tracked runs are committed (gate 1-2).

``[paths] experiments`` (a file or folder; when set only it counts), else any
non-empty file of the kinds in ``EXPERIMENT_KINDS``: config modules and files
under configs/ or config/ (YAML, JSON, TOML, Python, gin, jsonnet, cfg; not
``__init__.py``), Hydra/OmegaConf trees (conf/, .hydra/), hparams files,
sweep files, experiments/ folders, MLflow (mlruns/, MLproject), Weights &
Biases run folders (wandb/run-*/), TensorBoard event files and Lightning
hparams, DVC (dvc.yaml/dvc.lock/*.dvc), params.yaml, Hugging Face Trainer
records (trainer_state.json, *_results.json). The failure's ``looked_for``
lists each kind's globs, which describe its rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import CheckContext, CheckOutput, failed, passed
from .code import own_files
from .common import capped, check, plural

# --- experiment_records ---------------------------------------------------------------

CONFIG_EXT = r"(ya?ml|json|toml|py|gin|jsonnet|cfg)"


@dataclass(frozen=True)
class RecordKind:
    """One form of experiment record: its name, its path rule, and the globs the
    failure message shows (each glob describes exactly what ``pattern`` accepts)."""

    name: str
    pattern: re.Pattern[str]
    looked_for: tuple[str, ...]


# Order matters only for naming: a path is counted under the first kind it matches.
EXPERIMENT_KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "config files",
        re.compile(rf"(^|/)configs?/(.+/)?(?!__init__\.py$)[^/]+\.{CONFIG_EXT}$", re.I),
        (
            "configs/**/*.{yaml,yml,json,toml,py,gin,jsonnet,cfg}",
            "config/**/*.{yaml,yml,json,toml,py,gin,jsonnet,cfg}",
        ),
    ),
    RecordKind(
        "Hydra configs",
        re.compile(r"(^|/)(conf/(.+/)?[^/]+|\.hydra/[^/]+)\.ya?ml$", re.I),
        ("conf/**/*.{yaml,yml}", ".hydra/*.{yaml,yml}"),
    ),
    RecordKind(
        "sweep files",
        re.compile(r"(^|/)(sweeps?/[^/]+|[^/]*sweep[^/]*)\.(ya?ml|json)$", re.I),
        ("sweep/*.{yaml,yml,json}", "sweeps/*.{yaml,yml,json}", "*sweep*.{yaml,yml,json}"),
    ),
    RecordKind(
        "experiment folders",
        re.compile(r"(^|/)experiments?/", re.I),
        ("experiments/", "experiment/"),
    ),
    RecordKind(
        "MLflow runs",
        re.compile(r"(^|/)(mlruns/.|mlproject$)", re.I),
        ("mlruns/", "MLproject"),
    ),
    RecordKind(
        "Weights & Biases runs",
        re.compile(r"(^|/)wandb/(offline-)?run-[^/]+/.", re.I),
        ("wandb/run-*/", "wandb/offline-run-*/"),
    ),
    RecordKind(
        "TensorBoard or Lightning runs",
        re.compile(
            r"(^|/)(events\.out\.tfevents\.[^/]+|lightning_logs/version_[^/]+/hparams\.yaml)$",
            re.I,
        ),
        ("events.out.tfevents.*", "lightning_logs/version_*/hparams.yaml"),
    ),
    RecordKind(
        "hyperparameter files",
        re.compile(r"(^|/)(hparams/[^/]+\.ya?ml|hparams\.(ya?ml|json))$", re.I),
        ("hparams/*.{yaml,yml}", "hparams.{yaml,yml,json}"),
    ),
    RecordKind(
        "DVC pipelines",
        re.compile(r"((^|/)dvc\.(ya?ml|lock)|\.dvc)$", re.I),
        ("dvc.{yaml,yml,lock}", "*.dvc"),
    ),
    RecordKind("parameter files", re.compile(r"(^|/)params\.ya?ml$", re.I), ("params.{yaml,yml}",)),
    RecordKind(
        "Hugging Face Trainer records",
        re.compile(r"(^|/)(trainer_state|all_results|train_results|eval_results)\.json$", re.I),
        ("trainer_state.json", "all_results.json", "train_results.json", "eval_results.json"),
    ),
)
EXPERIMENT_LOOKED_FOR = [glob for kind in EXPERIMENT_KINDS for glob in kind.looked_for]


@check("experiment_records", "Experiment records", level=1)
def experiment_records(ctx: CheckContext) -> CheckOutput:
    """Experiment configurations or tracked runs are committed."""
    configured = ctx.config.path("experiments")
    files = own_files(ctx)
    if configured:
        prefix = configured.rstrip("/").lower()
        hits = [p for p in files if p.lower() == prefix or p.lower().startswith(prefix + "/")]
        if not hits:
            return failed(
                f".mltrl.toml [paths] names {configured} for experiments, but nothing is there.",
                f"Commit your experiment configs or run records under {configured}, "
                "or fix [paths] experiments in .mltrl.toml.",
                configured=configured,
            )
        return passed(
            f"{plural(len(hits), 'experiment record')} under {configured}.",
            kinds=["configured"],
            paths=capped(hits),
            count=len(hits),
        )
    found: dict[str, list[str]] = {}
    entries = ctx.files()
    for path in files:
        for kind in EXPERIMENT_KINDS:
            # An empty file (an __init__.py, a .gitkeep) records nothing.
            if kind.pattern.search(path) and entries[path].size != 0:
                found.setdefault(kind.name, []).append(path)
                break
    if not found:
        return failed(
            "No experiment configurations or tracked runs were found.",
            "Commit the configuration of each experiment (e.g. configs/baseline.yaml, "
            "configs/train_small.py, or params.yaml with dvc.yaml) or the run records your "
            "tracker writes (mlruns/, wandb/run-*/), or set [paths] experiments in .mltrl.toml.",
            looked_for=EXPERIMENT_LOOKED_FOR,
        )
    paths = [p for kind in found for p in found[kind]]
    return passed(
        # Files, not runs: one MLflow run is a folder of several files.
        "Experiment records found: "
        + ", ".join(f"{kind} ({plural(len(v), 'file')})" for kind, v in found.items())
        + ".",
        kinds=list(found),
        paths=capped(paths),
        count=len(paths),
    )
