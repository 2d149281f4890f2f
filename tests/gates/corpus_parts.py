"""Building blocks of the corpus repositories: licences, CI files, tests, notebooks, docs.

Our own text, shaped like what public ML repositories hold (names, headings,
layout, rough sizes); nothing is copied from a real repository.
"""

from __future__ import annotations

import json

MIT = (
    "MIT License\n\nCopyright (c) 2023 The Authors\n\nPermission is hereby granted, free of "
    "charge, to any person obtaining a copy of this software and associated documentation "
    'files (the "Software"), to deal in the Software without restriction.\n'
)
APACHE = (
    "                                 Apache License\n                           Version 2.0, "
    "January 2004\n                        http://www.apache.org/licenses/\n\n   TERMS AND "
    "CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n"
)
BSD3 = (
    "BSD 3-Clause License\n\nRedistribution and use in source and binary forms, with or without "
    "modification, are permitted provided that the following conditions are met: ... Neither "
    "the name of the copyright holder nor the names of its contributors may be used.\n"
)
CC_BY = (
    "Attribution 4.0 International\n\n"
    "Creative Commons Attribution 4.0 International Public License\n"
)


def workflow(name: str = "tests", run: str = "pytest -q") -> str:
    """A GitHub Actions workflow running the tests, with a secret referenced properly."""
    return (
        f"name: {name}\non:\n  push:\n    branches: [main]\n  pull_request:\n"
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n"
        "        python-version: ['3.10', '3.11']\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: ${{ matrix.python-version }}\n"
        "      - run: pip install -r requirements.txt\n"
        f"      - run: {run}\n        env:\n          HF_TOKEN: ${{{{ secrets.HF_TOKEN }}}}\n"
    )


def pytest_file(n: int, subject: str, *, marker: str = "") -> str:
    """A pytest module with ``n`` test functions about ``subject``."""
    head = f"import numpy as np\nimport pytest\n\nfrom {subject} import build\n\n"
    if marker:
        head += f"pytestmark = pytest.mark.{marker}\n\n"
    body = "".join(
        f"\ndef test_{subject}_case_{i}():\n    out = build(seed={i})\n"
        f"    assert np.isfinite(out).all()\n\n"
        for i in range(n)
    )
    return head + body


def notebook(cells: list[str], *, image_bytes: int = 0) -> str:
    """A notebook as Jupyter writes it (indent 1); outputs with text and, optionally, a PNG."""
    png = (
        "iVBORw0KGgoAAAANSUhEUgAAAoAAAAHgCAYAAAA10dzkAAAAOXRFWHRTb2Z0" * (image_bytes // 60 + 1)
    )[:image_bytes]
    out = []
    for n, source in enumerate(cells, 1):
        outputs = [{"name": "stdout", "output_type": "stream", "text": [f"step {n} done\n"]}]
        if image_bytes and n == 1:
            outputs.append(
                {
                    "data": {"image/png": png, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                    "metadata": {},
                    "output_type": "display_data",
                }
            )
        out.append(
            {
                "cell_type": "code",
                "execution_count": n,
                "metadata": {},
                "outputs": outputs,
                "source": [line + "\n" for line in source.splitlines()],
            }
        )
    body = {
        "cells": out,
        "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(body, indent=1) + "\n"


def sections(title: str, parts: dict[str, str], level: int = 2) -> str:
    """A Markdown document: ``# title`` then one heading per part with its text."""
    marks = "#" * level
    return f"# {title}\n\n" + "".join(f"{marks} {h}\n\n{t}\n\n" for h, t in parts.items())


RESEARCH_REQUIREMENTS = sections(
    "Research requirements",
    {
        "Requirements": (
            "1. The model shall reach a macro F1 of at least 0.80 on the held-out split.\n"
            "2. The model shall train in under 12 hours on one 24 GB GPU.\n"
            "3. The pipeline shall be reproducible from a fixed seed within 0.5 F1 points.\n"
        ),
        "Verification and validation": (
            "Each requirement is checked by the evaluation script on the frozen test split; "
            "results are recorded in the experiment log and reviewed by a research peer."
        ),
    },
)
PRODUCT_REQUIREMENTS = sections(
    "Product requirements",
    {
        "Requirements": (
            "R1: The service shall answer 95% of requests within 200 ms.\n"
            "R2: The service shall reject inputs outside the documented schema.\n"
            "R3: The model shall be retrained when drift exceeds the alert threshold.\n"
        ),
        "V&V": "Load tests in CI verify R1; contract tests verify R2; the drift job verifies R3.",
    },
)
GEBRU_DATASHEET = sections(
    "Datasheet: field survey images",
    {
        "Motivation": "Collected to train a crop disease classifier for smallholder farms.",
        "Composition": "41,200 RGB images of leaves, one label each, from 11 classes.",
        "Collection process": "Photographed by extension officers with phones in 2022.",
        "Preprocessing, cleaning and labeling": "Blurry images removed; two agronomists labelled.",
        "Uses": "Training and evaluating disease classifiers; not for yield estimation.",
        "Distribution": "Released under CC BY 4.0 through the project's data portal.",
        "Maintenance": "The data team maintains it and publishes errata each quarter.",
    },
)
ETHICS_FULL = (
    "# AI ethics checklist\n\n## Pre-development\n\n"
    "- [x] Have we identified who could be harmed by errors?\n"
    "- [x] Is the training data representative of the regions served?\n\n"
    "**Q3: Was consent obtained for the images?**\nA: Yes, under the 2022 data agreement.\n\n"
    "## Post-development\n\n"
    "- [x] Was performance compared across regions and phone models?\n"
    "- [x] Is there a way for farmers to contest a diagnosis?\n\n"
    "---\n\n[^1]: Questions adapted from a public data-ethics checklist.\n"
)
MODEL_CARD_MITCHELL = sections(
    "Model card: leaf disease classifier",
    {
        "Model details": "EfficientNet-B0 fine-tuned by the vision team, version 3.1.",
        "Intended use": "Advising farmers on likely leaf diseases; not a replacement for experts.",
        "Factors": "Crop type, region, phone camera and lighting.",
        "Metrics": "Macro F1 and per-class recall, with bootstrap confidence intervals.",
        "Evaluation data": "A held-out set of 4,100 images from regions unseen in training.",
        "Training data": "The field survey images described in DATASHEET.md.",
        "Quantitative analyses": "Macro F1 0.84; recall drops to 0.71 on low-light photos.",
        "Broader Implications": "Wrong advice may cost harvests; advice carries a confidence.",
        "Caveats and recommendations": "Not validated on crops outside the 11 classes.",
    },
)
