"""Data and model documentation: the datasheet (gate 4-5) and the model card (5-6).

Sections are recognised through the vocabularies of ``gates.checks.vocabulary``
(Mitchell et al. and the Hugging Face model card; Gebru et al. and the Hugging
Face dataset card): each alias maps to a canonical section, and the result
says which heading satisfied which section. An empty section, or one holding
only a template placeholder, counts as missing.

Candidates, when ``.mltrl.toml`` ``[paths]`` does not name the document (then
only that path counts):

- datasheet: DATASHEET.md, DATA_CARD.md, DATASET_CARD.md, docs/datasheet.md,
  docs/data-card.md (and other extensions), data/README.md, data/*/README.md,
  data/*.md, datasets/README.md, datasets/*/README.md, any
  ``*datasheet*`` / ``*data(set)_card*`` file, and a root README that is a
  Hugging Face dataset card (front matter with dataset_info, task_categories,
  size_categories, annotations_creators, source_datasets, ...). Seven
  sections (Gebru et al.); 1-2 missing give a warning, 3 or more fail.
- model_card: MODEL_CARD.md, MODELCARD.md, docs/model-card.md, ..., any
  ``*model_card*`` file or file under model_cards/, and a root README that is
  a Hugging Face model card (front matter with model-index, pipeline_tag,
  library_name, base_model, ...) or has a "Model card" / "Model details"
  heading. Five sections: intended use, metrics, training and evaluation
  data, limitations, ethical considerations; all are required.

Every candidate is read; the one missing the fewest sections decides the
outcome, and the evidence lists each candidate with the sections it lacks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .base import CheckContext, CheckOutput, failed, passed, warned
from .common import (
    capped,
    check,
    configured_path_missing,
    doc_names,
    locate,
    lower_index,
    outline,
    plural,
)
from .vocabulary import DATASHEET, MODEL_CARD, Vocabulary, match_sections

MAX_CANDIDATES = 10
DOC_FILE = r"\.(md|markdown|rst|txt|adoc)$"

DATASHEET_NAMES = doc_names(
    "DATASHEET",
    "docs/datasheet",
    "data/DATASHEET",
    "DATA_CARD",
    "DATACARD",
    "DATASET_CARD",
    "docs/data-card",
    "docs/data_card",
    "docs/dataset-card",
    "data/DATA_CARD",
    "data/README",
    "datasets/README",
)
DATASHEET_PATHS = re.compile(
    r"^(data|datasets?)/([^/]+/README|[^/]+)" + DOC_FILE
    + r"|(^|/)[^/]*(datasheet|data[-_]?set[-_]?card|data[-_]?card)[^/]*" + DOC_FILE,
    re.I,
)  # fmt: skip
DATASET_FRONT_MATTER = re.compile(
    r"^(dataset_info|task_categories|size_categories|annotations_creators|source_datasets"
    r"|language_creators|multilinguality|task_ids|pretty_name)\s*:",
    re.M,
)
MODEL_CARD_NAMES = doc_names(
    "MODEL_CARD", "MODELCARD", "docs/model-card", "docs/model_card", "docs/modelcard", "model-card"
)
MODEL_CARD_PATHS = re.compile(
    r"(^|/)([^/]*model[-_]?card[^/]*|model[-_]?cards/[^/]+)" + DOC_FILE, re.I
)
MODEL_FRONT_MATTER = re.compile(
    r"^(model-index|pipeline_tag|library_name|base_model|model_name|inference)\s*:", re.M
)
MODEL_CARD_HEADING = re.compile(r"\bmodel\s+(card|details)\b", re.I)
README = re.compile(r"^readme" + DOC_FILE + "|^readme$", re.I)


def front_matter(text: str) -> str:
    """The YAML front matter of a Markdown file (Hugging Face cards keep metadata there)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return ""
    for n, line in enumerate(lines[1:], 1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:n])
    return ""


def _candidates(
    ctx: CheckContext, names: list[str], paths: re.Pattern[str], readme_is_one
) -> list[str]:
    """Conventional names first, then other matching paths, then a qualifying root README."""
    index = lower_index(ctx)
    found = list(dict.fromkeys(index[n.lower()] for n in names if n.lower() in index))
    found += [p for p in sorted(ctx.files()) if paths.search(p) and p not in found]
    for path in sorted(ctx.files()):
        if "/" not in path and README.match(path) and path not in found:
            text = ctx.text(path) or ""
            if readme_is_one(text):
                found.append(path)
    return found[:MAX_CANDIDATES]


def _assess(
    ctx: CheckContext, candidates: Iterable[str], vocabulary: Vocabulary
) -> list[dict[str, Any]]:
    reports = []
    for path in candidates:
        present, missing = match_sections(outline(ctx.text(path) or ""), vocabulary)
        reports.append({"path": path, "sections": present, "missing": missing})
    return reports


def _satisfied(sections: dict[str, dict[str, Any]]) -> str:
    return "; ".join(f"{name} <- '{s['heading']}'" for name, s in sections.items())


def _documented(
    ctx: CheckContext,
    *,
    path_key: str,
    names: list[str],
    paths: re.Pattern[str],
    readme_is_one,
    vocabulary: Vocabulary,
    label: str,
    suggested: str,
    why: str,
    warn_up_to: int,
) -> CheckOutput:
    wanted = ", ".join(vocabulary.sections)
    configured = locate(ctx, path_key, [])
    if configured.configured:
        if configured.path is None:
            return configured_path_missing(configured, path_key)
        candidates = [configured.path]
    else:
        candidates = _candidates(ctx, names, paths, readme_is_one)
    if not candidates:
        return failed(
            f"No {label} was found.",
            f"Add {suggested} with the sections {wanted}{why}, "
            f"or set [paths] {path_key} in .mltrl.toml.",
            looked_for=capped(dict.fromkeys(n.rsplit(".", 1)[0] + ".md" for n in names), 12),
        )
    reports = _assess(ctx, candidates, vocabulary)
    best = min(reports, key=lambda r: len(r["missing"]))  # first wins a tie
    path, present, missing = best["path"], best["sections"], best["missing"]
    evidence = {
        "path": path,
        "sections": present,
        "missing": missing,
        "candidates": [{"path": r["path"], "missing": r["missing"]} for r in reports],
    }
    if not missing:
        return passed(f"{path} has every {label} section: {_satisfied(present)}.", **evidence)
    fix = (
        f"Add {plural(len(missing), 'section')} to {path}: "
        + ", ".join(f"'## {m.removesuffix(' (empty)')}'" for m in missing)
        + f"{why}."
    )
    if len(missing) <= warn_up_to:
        return warned(
            f"{path} covers {len(present)} of {len(vocabulary.sections)} {label} sections; "
            f"missing: {', '.join(missing)}.",
            fix,
            **evidence,
        )
    others = [r for r in reports if r is not best]
    tail = "".join(f" {r['path']} lacks {', '.join(r['missing'])}." for r in others)
    return failed(f"{path} lacks {label} sections: {', '.join(missing)}.{tail}", fix, **evidence)


def _is_dataset_card(text: str) -> bool:
    return bool(DATASET_FRONT_MATTER.search(front_matter(text)))


def _is_model_card(text: str) -> bool:
    if MODEL_FRONT_MATTER.search(front_matter(text)):
        return True
    return any(MODEL_CARD_HEADING.search(h.title) for h in outline(text).headings[:3])


@check("datasheet", "Datasheet for the data", level=4)
def datasheet(ctx: CheckContext) -> CheckOutput:
    """Data documentation covering the sections of 'Datasheets for Datasets'."""
    return _documented(
        ctx,
        path_key="datasheet",
        names=DATASHEET_NAMES,
        paths=DATASHEET_PATHS,
        readme_is_one=_is_dataset_card,
        vocabulary=DATASHEET,
        label="datasheet",
        suggested="DATASHEET.md",
        why=" (Gebru et al., 'Datasheets for Datasets')",
        warn_up_to=2,
    )


@check("model_card", "Model card", level=5)
def model_card(ctx: CheckContext) -> CheckOutput:
    """A model card with intended use, metrics, data, limitations and ethical considerations."""
    return _documented(
        ctx,
        path_key="model_card",
        names=MODEL_CARD_NAMES,
        paths=MODEL_CARD_PATHS,
        readme_is_one=_is_model_card,
        vocabulary=MODEL_CARD,
        label="model card",
        suggested="MODEL_CARD.md",
        why=" (Mitchell et al., 'Model Cards for Model Reporting')",
        warn_up_to=0,
    )
