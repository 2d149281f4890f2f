"""What a demo repository holds at each level: the files the next gate's checks look for.

``deliverables(story, level)`` is what the commit climbing to ``level`` adds
(level 1: a README with a purpose; 2: experiment configs; 3: the research
requirements with V&V; 4: package, tests, CI, licence, pinned requirements;
5: datasheet and the pre-development ethics answers; 6: product requirements,
model card, interface; 7: the OpenAPI spec; 8: integration tests, golden set,
prediction logging; 9: monitoring plan, runbook, post-development ethics
answers). Texts come from the story's card, so each repository reads like its
project. ``demo.repos`` turns these into commits; the real checks judge them.
"""

from __future__ import annotations

import json
import textwrap

from .steps import NO_VV
from .stories import Story

Files = dict[str, str]

GENERIC_REQUIREMENTS = (
    "1. The model shall outperform the strongest published baseline on the held-out split.\n"
    "2. The evaluation shall use a time-based split, so no future data leaks into training.\n"
    "3. Every experiment shall be reproducible from its committed config and seed."
)
PINNED = ("numpy==1.26.4", "pandas==2.2.2", "scikit-learn==1.4.2", "pyyaml==6.0.1")


def package(story: Story) -> str:
    return story.slug.replace("-", "_")


def _card(story: Story, section: str, fallback: str) -> str:
    return story.card.get(section) or fallback


def _para(text: str, indent: str = "") -> str:
    return textwrap.fill(text, 88, initial_indent=indent, subsequent_indent=indent)


def _requirements(story: Story) -> list[str]:
    return _card(story, "requirements", GENERIC_REQUIREMENTS).splitlines()


def readme_draft(story: Story) -> Files:
    return {
        "README.md": f"# {story.name}\n\nNotes, to be written up.\n\n"
        "- [ ] literature review\n- [ ] first look at the data\n",
        "notes/reading-list.md": "# Reading list\n\n- Survey of the field\n"
        "- Two recent papers with public code\n",
    }


def _readme(story: Story) -> str:
    return (
        f"# {story.name}\n\n## Purpose\n\n{_para(story.description)}\n\n"
        f"{_para(_card(story, 'tldr', ''))}\n\n## Status\n\n"
        "The current MLTRL level and its reviews are on the project's MLTRL card.\n"
    )


def _experiments(story: Story) -> Files:
    def config(name: str, lr: float, note: str) -> str:
        return (
            f"# {note}\nexperiment: {story.slug}-{name}\nseed: 17\n"
            f"data:\n  split: time-2023q4\n  sample: 0.1\ntrain:\n  learning_rate: {lr}\n"
            "  epochs: 20\n"
        )

    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": [f"# {story.name}: first look"]},
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": ["import pandas as pd\n", "sample = pd.read_parquet('sample.parquet')"],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return {
        "experiments/configs/baseline.yaml": config("baseline", 0.1, "The published baseline."),
        "experiments/configs/candidate.yaml": config("candidate", 0.03, "Our candidate."),
        "experiments/RESULTS.md": "# Results\n\n| run | split | main metric |\n|---|---|---|\n"
        "| baseline | time-2023q4 | 0.71 |\n| candidate | time-2023q4 | 0.78 |\n",
        "notebooks/exploration.ipynb": json.dumps(notebook, indent=1) + "\n",
    }


def research_requirements(story: Story, *, vv: bool = True, revision: str = "") -> str:
    lines = "\n".join(_requirements(story))
    text = f"# Research requirements: {story.name}\n\n## Requirements\n\n{lines}\n"
    if vv:
        rows = "\n".join(
            f"| {n} | Measured on the held-out time split; the experiment config is committed. |"
            for n in range(1, len(_requirements(story)) + 1)
        )
        text += (
            "\n## Verification and validation\n\nEach requirement is verified before the gate "
            f"review:\n\n| requirement | verification |\n|---|---|\n{rows}\n"
        )
    else:
        text += "\n## Results\n\nSee experiments/RESULTS.md.\n"
    if revision:
        text += f"\n## Revision after the switchback\n\n{_para(revision)}\n"
    return text


def _code(story: Story, *, pinned: bool = True) -> Files:
    pkg = package(story)
    requirements = "\n".join(PINNED) + "\n"
    if not pinned:
        requirements += "sentencepiece>=0.2.0\n"
    return {
        f"src/{pkg}/__init__.py": f'"""{story.name}."""\n\n__version__ = "0.4.0"\n',
        f"src/{pkg}/model.py": f'"""{story.name}: features and scoring."""\n\n\n'
        "def score(features: dict[str, float], weights: dict[str, float]) -> float:\n"
        '    """A weighted sum over named features; unknown features count zero."""\n'
        "    return sum(weights.get(name, 0.0) * value for name, value in features.items())\n",
        "tests/test_model.py": f"from {pkg}.model import score\n\n\n"
        "def test_known_features_are_weighted():\n"
        '    assert score({"a": 2.0}, {"a": 0.5}) == 1.0\n\n\n'
        "def test_unknown_features_count_zero():\n"
        '    assert score({"b": 3.0}, {"a": 0.5}) == 0.0\n',
        ".github/workflows/ci.yml": "name: ci\non: [push, pull_request]\njobs:\n  test:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        '          python-version: "3.11"\n      - run: pip install -r requirements.txt\n'
        "      - run: pytest --cov=src --cov-fail-under=80\n",
        "LICENSE": "Copyright 2024 Example Logistics Ltd. All rights reserved.\n\n"
        "Internal software: use, copying and distribution outside the company are not "
        "permitted.\n\nSPDX-License-Identifier: LicenseRef-Example-Internal\n",
        "requirements.txt": requirements,
    }


def _ethics(story: Story, *, post: bool) -> str:
    pre = [
        (
            "What is the system for, and for whom?",
            _card(story, "intended_uses", story.description),
        ),
        (
            "Which uses are unacceptable, and how are they kept out?",
            _card(story, "unacceptable_uses", "Any use outside the evaluated setting."),
        ),
        (
            "Is personal data involved, and is it minimised?",
            _card(story, "data_considerations", "No personal data is used."),
        ),
        (
            "Could the data under-represent groups or settings the model will serve?",
            "Checked per segment in the evaluation; gaps are listed in the datasheet.",
        ),
    ]
    text = f"# AI-ethics checklist: {story.name}\n\n## Pre-development questions\n\n"
    text += "\n".join(f"{n}. {q}\n{_para(a, '   ')}\n" for n, (q, a) in enumerate(pre, 1))
    if post:
        answers = [
            ("Did the evaluation confirm the pre-development answers?", "Yes; see MODEL_CARD.md."),
            ("Can a person overrule or switch off the system?", "Yes; see the fallback mode."),
            ("Is there a channel to report harm, and who answers it?", "The on-call owner."),
        ]
        text += "\n## Post-development questions\n\n"
        text += "\n".join(f"{n}. {q}\n{_para(a, '   ')}\n" for n, (q, a) in enumerate(answers, 1))
    return text


def _datasheet(story: Story, revision: str = "") -> str:
    data = _card(story, "data_considerations", "Internal data, documented below.")
    sections = {
        "Motivation": f"Collected to build the {story.name.lower()}.",
        "Composition": data,
        "Collection process": "Exported from the production systems by the data platform team.",
        "Preprocessing and labelling": "Deduplicated; labels reviewed by two annotators.",
        "Uses": _card(story, "intended_uses", "Training and evaluating this project's models."),
        "Distribution": "Internal only; access through the data catalogue.",
        "Maintenance": "Refreshed quarterly by the owning team; versions are tagged.",
    }
    if revision:
        sections["Revision history"] = revision
    body = "\n\n".join(f"## {title}\n\n{_para(text)}" for title, text in sections.items())
    return f"# Datasheet: {story.name}\n\n{body}\n"


def _product(story: Story) -> Files:
    reqs = "\n".join(_requirements(story))
    card = {
        "Intended use": _card(story, "intended_uses", story.description),
        "Metrics": _card(story, "testing_status", "Evaluated on the held-out time split."),
        "Training and evaluation data": _card(story, "data_considerations", "See DATASHEET.md."),
        "Limitations": _card(story, "caveats", "Not validated outside the evaluated setting."),
        "Ethical considerations": _card(story, "unacceptable_uses", "See ETHICS.md."),
    }
    return {
        "docs/product-requirements.md": f"# Product requirements: {story.name}\n\n"
        f"## Requirements\n\n{reqs}\n\n## Verification and validation\n\n"
        "Each requirement has an acceptance test in the product test plan, run on the "
        "golden set before every release.\n",
        "MODEL_CARD.md": f"# Model card: {story.name}\n\n"
        + "\n\n".join(f"## {title}\n\n{_para(text)}" for title, text in card.items())
        + "\n",
        "docs/interface.md": f"# Interface\n\n`score(features)` takes a mapping of feature "
        f"names to numbers and returns a score between 0 and 1; see src/{package(story)}/. "
        "Missing features count as zero; malformed input raises ValueError.\n",
    }


def _openapi(story: Story) -> str:
    return (
        f"openapi: 3.0.3\ninfo:\n  title: {story.name} API\n  version: 1.0.0\npaths:\n"
        "  /v1/score:\n    post:\n      summary: Score one item\n      requestBody:\n"
        "        required: true\n        content:\n          application/json:\n"
        "            schema: {type: object, additionalProperties: {type: number}}\n"
        "      responses:\n        '200':\n          description: The score, 0 to 1\n"
        "        '422':\n          description: Malformed input\n"
    )


def _integration(story: Story) -> Files:
    return {
        "tests/integration/test_service.py": "import pytest\n\n"
        f"from {package(story)}.model import score\n\n\n@pytest.mark.integration\n"
        "def test_scores_stay_in_range_on_the_golden_sample(golden_sample, weights):\n"
        "    assert all(0.0 <= score(row, weights) <= 1.0 for row in golden_sample)\n",
        "eval/golden.yaml": f"# Golden dataset: frozen, versioned; CI reports the metrics.\n"
        f"dataset: {story.slug}-golden-v3\nbaseline:\n  metric: f1\n  value: 0.88\n"
        "tolerance: 0.01\n",
        "deploy/logging.yaml": "# Every prediction is logged, with 1% of inputs.\n"
        "prediction_logging: true\ninput_sample_rate: 0.01\nretention_days: 90\n",
    }


def _operations(story: Story) -> Files:
    return {
        "MONITORING.md": f"# Monitoring plan: {story.name}\n\n## Data drift\n\nPopulation "
        "stability index per feature, daily; above 0.2 opens a ticket.\n\n## Data quality\n\n"
        "Schema, null rates and value ranges checked on every batch.\n\n"
        "## Training-serving skew\n\nServing features are re-computed offline for 1% of "
        "requests and compared.\n\n## Alerting\n\nPages the on-call owner; dashboards linked "
        "from the runbook.\n",
        "RUNBOOK.md": f"# Runbook: {story.name}\n\n## Fallback mode\n\nSwitch the flag "
        "`model_enabled` off: the product falls back to the previous rule-based behaviour.\n\n"
        "## Rollback\n\nRedeploy the previous model version from the registry; it takes "
        "about five minutes.\n\n## Incident response\n\nThe on-call owner leads; write the "
        "post-mortem within five working days.\n",
        "ETHICS.md": _ethics(story, post=True),
    }


def deliverables(story: Story, level: int) -> Files:
    """The files the commit climbing to ``level`` adds or changes."""
    if level == 1:
        return {"README.md": _readme(story)}
    if level == 2:
        return _experiments(story)
    if level == 3:
        vv = NO_VV not in story.quirks
        return {"docs/research-requirements.md": research_requirements(story, vv=vv)}
    if level == 4:
        return _code(story)
    if level == 5:
        return {"DATASHEET.md": _datasheet(story), "ETHICS.md": _ethics(story, post=False)}
    if level == 6:
        return _product(story)
    if level == 7:
        return {"docs/openapi.yaml": _openapi(story)}
    if level == 8:
        return _integration(story)
    if level == 9:
        return _operations(story)
    raise ValueError(f"No deliverables for level {level}.")


def rework(story: Story, level: int, reason: str) -> Files:
    """A second climb to ``level`` after a switchback revises that level's main document."""
    if level == 3:
        doc = research_requirements(story, revision=reason)
        return {"docs/research-requirements.md": doc}
    if level == 5:
        return {"DATASHEET.md": _datasheet(story, revision=reason)}
    raise ValueError(f"The demo has no rework for level {level}.")


def drifted(story: Story) -> Files:
    """A later commit that turns prediction logging off (a level-8 check then fails)."""
    return {
        "deploy/logging.yaml": "# Prediction logging paused while the log pipeline moves.\n"
        "prediction_logging: false\ninput_sample_rate: 0\n",
    }


def work_in_progress(story: Story) -> Files:
    """Level-4 work started on a level-3 project; one requirement is not pinned yet."""
    return _code(story, pinned=False)
