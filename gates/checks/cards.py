"""Data and model documentation: the datasheet (gate 4-5) and the model card (5-6).

Found through ``locate`` (``[paths]`` first, else conventional names,
case-insensitively); sections are headings with words under them (see
``common.outline``), an empty one counts as missing.

- datasheet: the seven sections of Gebru et al., "Datasheets for Datasets"
  (motivation, composition, collection process, preprocessing/cleaning/
  labeling, uses, distribution, maintenance), each matched by synonyms. Not
  every question applies to every dataset, so 1-2 missing sections give a
  warning (a passing outcome) and 3 or more fail.
- model_card: intended use, metrics, training/evaluation data, limitations,
  ethical considerations (Mitchell et al., "Model Cards for Model
  Reporting"); all are required.
"""

from __future__ import annotations

from .base import CheckContext, CheckOutput
from .common import check, doc_names, rx, sectioned_document

DATASHEET_NAMES = doc_names(
    "DATASHEET",
    "docs/datasheet",
    "data/DATASHEET",
    "DATA_CARD",
    "DATACARD",
    "docs/data-card",
    "docs/data_card",
    "data/DATA_CARD",
    "data/README",
)
DATASHEET_SECTIONS = {
    "Motivation": rx(r"motivation|purpose|\bwhy\b"),
    "Composition": rx(r"composition|instances|data fields|schema|what.*\b(in|contain)"),
    "Collection process": rx(r"collect|acquisi|sourc|provenance|gather"),
    "Preprocessing/cleaning/labeling": rx(r"pre-?process|clean|label|annotat"),
    "Uses": rx(r"\buses?\b|usage|intended|applications?"),
    "Distribution": rx(r"distribut|\baccess|availab|licen[cs]|sharing"),
    "Maintenance": rx(r"mainten|maintain|updat|versioning"),
}


@check("datasheet", "Datasheet for the data", level=4)
def datasheet(ctx: CheckContext) -> CheckOutput:
    """Data documentation covering the sections of 'Datasheets for Datasets'."""
    return sectioned_document(
        ctx,
        path_key="datasheet",
        names=DATASHEET_NAMES,
        label="datasheet",
        suggested="DATASHEET.md",
        sections=DATASHEET_SECTIONS,
        warn_up_to=2,
        why=" (Gebru et al., 'Datasheets for Datasets')",
    )


MODEL_CARD_NAMES = doc_names(
    "MODEL_CARD", "MODELCARD", "docs/model-card", "docs/model_card", "docs/modelcard", "model-card"
)
MODEL_CARD_SECTIONS = {
    "Intended use": rx(r"intended|\buses?\b|use cases?"),
    "Metrics": rx(r"metric|performance|\bresults\b"),
    "Training and evaluation data": rx(r"\bdata(sets?)?\b"),
    "Limitations": rx(r"limitation|caveat|\brisks?\b"),
    "Ethical considerations": rx(r"ethic|fairness|\bbias"),
}


@check("model_card", "Model card", level=5)
def model_card(ctx: CheckContext) -> CheckOutput:
    """A model card with intended use, metrics, data, limitations and ethical considerations."""
    return sectioned_document(
        ctx,
        path_key="model_card",
        names=MODEL_CARD_NAMES,
        label="model card",
        suggested="MODEL_CARD.md",
        sections=MODEL_CARD_SECTIONS,
        why=" (Mitchell et al., 'Model Cards for Model Reporting')",
    )
