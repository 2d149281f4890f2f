"""The corpus, continued: notebooks, documents only, monorepos, trackers, templates."""

from __future__ import annotations

from .corpus_parts import (
    APACHE,
    CC_BY,
    ETHICS_FULL,
    GEBRU_DATASHEET,
    MIT,
    MODEL_CARD_MITCHELL,
    PRODUCT_REQUIREMENTS,
    RESEARCH_REQUIREMENTS,
    notebook,
    pytest_file,
    sections,
    workflow,
)

AWS_ID = "AKIA" + "Q4ZT7W2M9R3X6B1N"
WANDB_KEY = "5c1e" + "8a90f2b34d6e7f80a1b2c3d4e5f6a7b8c9d0e1f2"[:36]
KAGGLE_KEY = "7d2a" + "c4e6f8091a2b3c4d5e6f708192a3b4c5"[:28]

# 9. Notebook-only research: numbered notebooks, a large one with plots and a leaked key.
NOTEBOOKS = {
    "README.md": sections(
        "Churn analysis",
        {"Goal": "Understand which usage patterns precede customer churn in the first year."},
    ),
    "LICENSE": MIT,
    "requirements.txt": "pandas\nscikit-learn\nmatplotlib\nseaborn\n",
    "notebooks/01_eda.ipynb": notebook(
        ["import pandas as pd", "df = pd.read_csv('data/churn.csv')\ndf.describe()"],
        image_bytes=1_200_000,
    ),
    "notebooks/02_model.ipynb": notebook(
        ["import boto3", f"s3 = boto3.client('s3', aws_access_key_id='{AWS_ID}')"],
        image_bytes=400_000,
    ),
    "notebooks/.ipynb_checkpoints/01_eda-checkpoint.ipynb": notebook(["x = 1"]),
    "data/README.md": sections(
        "Churn data",
        {
            "Motivation": "Exported to study churn in the first year of a subscription.",
            "Composition": "One row per customer: 38 usage features and a churn label.",
            "Collection process": "Exported from the billing database in March 2023.",
            "Uses": "Exploratory analysis only; not for individual decisions.",
            "Distribution": "Internal; never shared outside the analytics team.",
        },
    ),
}

# 10. Documents only: a position paper with requirements and an ethics checklist.
DOCUMENTS = {
    "README.md": sections(
        "Responsible triage assistant: design documents",
        {
            "Purpose": "These documents set out the research requirements and the ethics "
            "review of a planned triage assistant before any code is written."
        },
    ),
    "LICENSE": CC_BY,
    "docs/research-requirements.md": RESEARCH_REQUIREMENTS,
    "ETHICS.md": ETHICS_FULL,
    "paper/main.tex": "\\documentclass{article}\n\\begin{document}\nDraft.\n\\end{document}\n",
    "paper/refs.bib": "@article{lavin2022, title={Technology readiness levels for ML}}\n",
}

# 11. A mature monorepo: packages, services, every document, look-alike secrets only.
PLATFORM = {
    "README.md": sections(
        "leafscan",
        {
            "Purpose": "leafscan diagnoses leaf diseases from phone photos for extension "
            "officers, and serves the model behind a small HTTP API.",
            "Usage": "POST an image to /v1/diagnose; the answer lists diseases with scores.",
        },
    ),
    "LICENSE": APACHE,
    "uv.lock": 'version = 1\n[[package]]\nname = "torch"\nsdist = { hash = "sha256:'
    + "ab12" * 16
    + '" }\n',
    "pyproject.toml": '[project]\nname = "leafscan"\ndependencies = ["torch"]\n',
    "packages/features/src/features/augment.py": "def augment(x):\n    return x\n",
    "packages/features/tests/test_augment.py": pytest_file(6, "features"),
    "packages/trainer/src/trainer/loop.py": "def fit(model):\n    return model\n",
    "packages/trainer/tests/test_loop.py": pytest_file(6, "trainer"),
    "packages/trainer/configs/efficientnet_b0.yaml": "lr: 0.001\nepochs: 30\n",
    "services/serving/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "services/serving/config.yaml": "log_predictions: true\nsample_rate: 0.1\n",
    "services/serving/openapi.yaml": "openapi: 3.0.3\ninfo:\n  title: leafscan\n",
    "tests/integration/test_serving.py": pytest_file(3, "serving", marker="integration"),
    ".gitlab-ci.yml": "test:\n  script:\n    - uv run pytest\n  variables:\n"
    "    HF_TOKEN: $HF_TOKEN\n",
    "docs/research-requirements.md": RESEARCH_REQUIREMENTS,
    "docs/product-requirements.md": PRODUCT_REQUIREMENTS,
    "docs/interface.md": "# Interface\n\nThe service takes one JPEG per request and returns "
    "a JSON list of diseases with calibrated scores between zero and one.\n",
    "DATASHEET.md": GEBRU_DATASHEET,
    "MODEL_CARD.md": MODEL_CARD_MITCHELL,
    "ETHICS.md": ETHICS_FULL,
    "MONITORING.md": sections(
        "Monitoring plan",
        {
            "Data drift": "Weekly PSI on image statistics per region.",
            "Data quality": "Blur and exposure checks on every request.",
            "Training-serving skew": "Preprocessing is one package used by both sides.",
            "Alerting": "PSI above 0.2 pages the on-call engineer.",
        },
    ),
    "RUNBOOK.md": sections(
        "Runbook",
        {
            "Fallback mode": "Serve the previous model and show a 'low confidence' banner.",
            "Rollback": "Redeploy the last tagged image; the registry keeps five.",
        },
    ),
    "docs/aws.md": "Use keys like AKIAIOSFODNN7EXAMPLE only in examples.\n",
}

# 12. A research group's monorepo whose kaggle.json was committed.
GROUP = {
    "README.md": sections(
        "Vision group experiments",
        {"Overview": "Shared code and experiment configs of the group's image segmentation work."},
    ),
    "LICENSE": MIT,
    "requirements.txt": "torch==2.1.2\nnumpy==1.26.2\nalbumentations==1.3.1\n",
    "projects/unet/configs/base.yaml": "lr: 0.0003\n",
    "projects/unet/train.py": "import torch\n",
    "projects/sam-finetune/configs/lora.yaml": "rank: 8\n",
    "common/segkit/losses.py": "def dice(a, b):\n    return 0\n",
    "tests/test_losses.py": pytest_file(11, "segkit"),
    ".github/workflows/tests.yml": workflow(),
    "docs/research_requirements.md": RESEARCH_REQUIREMENTS,
    "kaggle.json": '{"username":"vision-group","key":"' + KAGGLE_KEY + '"}\n',
}

# 13. Paper code whose README opens with a title, badges and a rule (the reported case).
PAPER = {
    "README.md": (
        "# SparseRoute\n\n[![arXiv](https://img.shields.io/badge/arXiv-2401.00001-b31b1b.svg)]"
        "(https://arxiv.org/abs/2401.00001) [![License](https://img.shields.io/badge/License-MIT"
        "-green.svg)](LICENSE)\n\n---\n\n"
        "This repository contains the official implementation of SparseRoute, a routing method "
        "for mixture of experts that balances expert load without auxiliary losses. It includes "
        "training scripts, configuration files for every experiment in the paper, and the "
        "evaluation code that produces the tables, so that each number can be reproduced.\n"
    ),
    "LICENSE": MIT,
    "requirements.txt": "torch==2.1.2\ndatasets==2.16.1\n",
    "sparseroute/router.py": "class Router:\n    pass\n",
    "configs/moe_small.py": "n_experts = 8\ntop_k = 2\n",
    "configs/moe_large.py": "n_experts = 64\ntop_k = 2\n",
    "tests/test_router.py": pytest_file(10, "sparseroute"),
    ".github/workflows/tests.yml": workflow(),
    "notebooks/figures.ipynb": notebook(["import matplotlib"]),
    "docs/research-requirements.md": RESEARCH_REQUIREMENTS,
    "data/README.md": sections(
        "Data",
        {
            "Dataset Summary": "Deduplicated web text used to pre-train the routers.",
            "Dataset Structure": "Jsonl shards of documents with a url and a text field.",
            "Source Data": "Crawled pages from 2023, filtered for language and quality.",
            "Annotations": "None; documents are unlabelled.",
            "Uses": "Pre-training research only.",
            "Licensing Information": "Each page keeps its original licence.",
            "Maintenance": "Frozen with the paper; errata in the issue tracker.",
        },
    ),
    "ETHICS.md": (
        "# Ethics\n\n## Pre-development\n\n- Q1. Could the released model cause harm?\n\n"
        "  It is a small research model; we release no chat interface.\n\n"
        "- Q2. Does the training data contain personal information?\n\n"
        "[^1]: Questions follow the organisation's pre-development checklist.\n"
    ),
}

# 14. A Lightning project with TensorBoard logs committed; pip requirements unpinned.
LIGHTNING = {
    "README.md": sections(
        "Speech commands",
        {"About": "Keyword spotting on the speech commands data with a small convolutional net."},
    ),
    "LICENSE": MIT,
    "requirements.txt": "lightning>=2.1\ntorchaudio\ntensorboard\n",
    "src/kws/model.py": "import lightning as L\n",
    "src/kws/data.py": "import torchaudio\n",
    "lightning_logs/version_0/hparams.yaml": "lr: 0.001\nn_mels: 40\n",
    "lightning_logs/version_0/events.out.tfevents.1700000000.gpu01.12.0": b"\x18\x00\x00binary",
    "tests/test_model.py": pytest_file(10, "kws"),
    ".github/workflows/test.yml": workflow(),
    "docs/research_requirements.md": RESEARCH_REQUIREMENTS,
}

# 15. Research tracked with Weights & Biases: a sweep file, a run folder, a key in the code.
WANDB = {
    "README.md": sections(
        "Contrastive pre-training ablations",
        {"Motivation": "We test which augmentations matter for contrastive pre-training."},
    ),
    "LICENSE": MIT,
    "train.py": f"import wandb\n\nwandb.login(key='{WANDB_KEY}')\nrun = wandb.init()\n",
    "sweep.yaml": "method: bayes\nmetric:\n  name: val/acc\n  goal: maximize\n",
    "wandb/run-20240110_101500-3kx9a2/files/config.yaml": "lr:\n  value: 0.1\n",
    "wandb/run-20240110_101500-3kx9a2/files/wandb-summary.json": '{"val/acc": 0.81}\n',
}

# 16. A Hydra project template: a config tree, tests, CI; everything up to level 4.
HYDRA = {
    "README.md": (
        '<div align="center">\n\n# Hydra image classifier\n\n</div>\n\n'
        "A clean template for training image classifiers with Hydra configs and PyTorch "
        "Lightning, where every run is reproducible from its composed configuration.\n\n"
        "## How to run\n\n```bash\npython src/train.py experiment=example\n```\n"
    ),
    "LICENSE": MIT,
    "requirements.txt": "torch==2.1.2\nlightning==2.1.3\nhydra-core==1.3.2\n",
    "configs/train.yaml": "defaults:\n  - model: mnist\n  - _self_\nseed: 12345\n",
    "configs/model/mnist.yaml": "_target_: src.models.MNISTLitModule\n",
    "configs/experiment/example.yaml": "# @package _global_\ntrainer:\n  max_epochs: 10\n",
    "src/train.py": "import hydra\n",
    "src/models/mnist_module.py": "import lightning as L\n",
    "tests/test_train.py": pytest_file(12, "src"),
    ".github/workflows/test.yml": workflow(),
    "docs/research-requirements.md": RESEARCH_REQUIREMENTS,
}

CORPUS_B = {
    "notebook-research": NOTEBOOKS,
    "documents-only": DOCUMENTS,
    "platform-monorepo": PLATFORM,
    "group-monorepo-kaggle": GROUP,
    "paper-badges-rule": PAPER,
    "lightning-tensorboard": LIGHTNING,
    "wandb-sweeps": WANDB,
    "hydra-template": HYDRA,
}
