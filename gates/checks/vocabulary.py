"""Section vocabularies of model cards and datasheets, and matching headings to them.

Cards in the wild follow one of two templates, so the headings a check accepts
come from those templates rather than from a few keywords:

- model cards: Mitchell et al., "Model Cards for Model Reporting" (2019) and
  the Hugging Face model card template (``modelcard_template.md``);
- datasheets: Gebru et al., "Datasheets for Datasets" (2021) and the Hugging
  Face dataset card template (``datasetcard_template.md``, and its older
  "Dataset Structure / Considerations for Using the Data" layout).

Each vocabulary maps an alias (a phrase of a heading) to its canonical section.
A heading satisfies every canonical section whose alias it contains, longest
alias first, so "Bias, Risks, and Limitations" satisfies both Limitations and
Ethical considerations, and "Evaluation data" counts as data, not as metrics.
A section whose body is empty or only a template placeholder ("[More
Information Needed]", "TBD") satisfies nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .common import WORD, Heading, Outline

# Section -> aliases. "uses" alone is an intended-use heading; "how to use" /
# "usage" are instructions and count for nothing (they are not listed).
MODEL_CARD_VOCABULARY: dict[str, tuple[str, ...]] = {
    "Intended use": (
        "intended use",
        "intended uses",
        "primary intended uses",
        "primary intended users",
        "uses",
        "direct use",
        "downstream use",
        "use cases",
        "intended purpose",
        "applications",
    ),
    "Metrics": (
        "metrics",
        "factors and metrics",
        "evaluation",
        "evaluation results",
        "results",
        "quantitative analyses",
        "quantitative analysis",
        "performance",
        "benchmarks",
    ),
    "Training and evaluation data": (
        "training data",
        "evaluation data",
        "testing data",
        "training and evaluation data",
        "datasets",
        "dataset",
        "data",
    ),
    "Limitations": (
        "limitations",
        "limitation",
        "caveats",
        "caveats and recommendations",
        "recommendations",
        "known issues",
        "failure modes",
    ),
    "Ethical considerations": (
        "ethical considerations",
        "ethics",
        "ethical",
        "fairness",
        "bias",
        "biases",
        "risks",
        "harms",
        "broader impact",
        "broader impacts",
        "broader implications",
        "societal impact",
        "social impact",
        "out of scope use",
        "out of scope uses",
        "misuse",
        "responsible use",
        "responsible ai",
        "safety",
    ),
}

DATASHEET_VOCABULARY: dict[str, tuple[str, ...]] = {
    "Motivation": (
        "motivation",
        "curation rationale",
        "rationale",
        "purpose",
        "why",
        "for what purpose",
        "who created",
        "funded",
        "dataset summary",  # not "dataset description": in HF cards that is the links block
    ),
    "Composition": (
        "composition",
        "dataset structure",
        "data instances",
        "instances",
        "data fields",
        "fields",
        "data splits",
        "splits",
        "schema",
        "contents",
        "statistics",
        "instance",
        "recommended data splits",
        "missing information",
    ),
    "Collection process": (
        "collection process",
        "data collection",
        "collection",
        "source data",
        "sources",
        "provenance",
        "acquisition",
        "gathering",
        "data collection and processing",
        "source language producers",
        "source data producers",
        "acquired",
        "collect",
        "collected",
        "sampling strategy",
        "timeframe",
    ),
    "Preprocessing/cleaning/labeling": (
        "preprocessing",
        "pre processing",
        "cleaning",
        "labeling",
        "labelling",
        "labels",
        "annotations",
        "annotation process",
        "annotators",
        "processing",
        "data collection and processing",
        "raw data",
    ),
    "Uses": (
        "uses",
        "direct use",
        "out of scope use",
        "intended use",
        "intended uses",
        "supported tasks",
        "supported tasks and leaderboards",
        "applications",
        "considerations for using the data",
        "used for",
        "be used",
    ),
    "Distribution": (
        "distribution",
        "licensing information",
        "license",
        "licence",
        "licensing",
        "access",
        "availability",
        "download",
        "sharing",
        "terms of use",
        "dataset sources",
        "distributed",
        "copyright",
    ),
    "Maintenance": (
        "maintenance",
        "maintainers",
        "maintained",
        "dataset curators",
        "curators",
        "updates",
        "maintaining",
        "hosting",
        "updated",
        "contacted",
        "erratum",
        "versioning",
        "changelog",
        "contact",
        "dataset card contact",
    ),
}

PLACEHOLDERS = re.compile(
    r"<!--.*?-->|\{\{[^}]*\}\}|\b(?:more information needed|needs? more information|"
    r"to be (?:added|completed|written)|todo|tbd|tba|fixme|coming soon)\b|(?<!\w)n/a(?!\w)",
    re.I | re.S,
)
_NOT_WORD = re.compile(r"[^a-z0-9;]+")


def normalise(title: str) -> str:
    """' Bias, Risks & Limitations ' -> ' bias risks and limitations ' (word-bounded)."""
    title = title.lower().replace("&", " and ").replace("-", " ")
    title = re.sub(r"^\s*(?:\d+(?:\.\d+)*\.?|[ivx]+\.)\s+", "", title)  # "3.1 Uses"
    return f" {_NOT_WORD.sub(' ', title).strip()} "


@dataclass(frozen=True)
class Vocabulary:
    sections: dict[str, tuple[str, ...]]

    def aliases(self) -> list[tuple[str, list[str]]]:
        """(alias, the sections it names), longest alias first. One phrase may name
        two sections ("data collection and processing")."""
        named: dict[str, list[str]] = {}
        for section, aliases in self.sections.items():
            for alias in aliases:
                named.setdefault(alias, []).append(section)
        return sorted(named.items(), key=lambda pair: -len(pair[0]))

    def sections_of(self, title: str) -> dict[str, str]:
        """Canonical section -> the alias that matched, for one heading title."""
        text = normalise(title)
        found: dict[str, str] = {}
        for alias, sections in self.aliases():
            needle = f" {alias} "
            if needle in text:
                for section in sections:
                    found.setdefault(section, alias)
                text = text.replace(needle, " | ")  # a matched phrase is used up
        return found

    def names_only(self, title: str) -> bool:
        """True when ``title`` is nothing but section names ("Motivation")."""
        text = normalise(title)
        for alias, _sections in self.aliases():
            text = text.replace(f" {alias} ", " ")
        return not text.strip()


def has_content(doc: Outline, heading: Heading, titles: set[int]) -> bool:
    """The section says something: words that are not a sub-heading, an HTML
    comment or a template placeholder ("[More Information Needed]")."""
    lines = (doc.lines[i] for i in range(heading.start, heading.end) if i not in titles)
    return bool(WORD.findall(PLACEHOLDERS.sub(" ", "\n".join(lines))))


def match_sections(
    doc: Outline, vocabulary: Vocabulary
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Which heading satisfied which canonical section, and the sections missing.

    The first heading with content wins; a section only found under empty or
    placeholder headings is reported missing as ``"<section> (empty)"``.
    """
    found: dict[str, dict[str, Any]] = {}
    empty: set[str] = set()
    titles = {h.line - 1 for h in doc.headings} | {
        h.line for h in doc.headings if h.start == h.line + 1
    }
    for heading in doc.sections(vocabulary.names_only):
        matched = vocabulary.sections_of(heading.title)
        if not matched:
            continue
        full = has_content(doc, heading, titles)
        for section, alias in matched.items():
            if section in found:
                continue
            if full:
                found[section] = {"heading": heading.title, "line": heading.line, "alias": alias}
            else:
                empty.add(section)
    missing = [
        f"{name} (empty)" if name in empty else name
        for name in vocabulary.sections
        if name not in found
    ]
    ordered = {name: found[name] for name in vocabulary.sections if name in found}
    return ordered, missing


MODEL_CARD = Vocabulary(MODEL_CARD_VOCABULARY)
DATASHEET = Vocabulary(DATASHEET_VOCABULARY)
