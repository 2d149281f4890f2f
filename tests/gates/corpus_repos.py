"""The corpus: repositories shaped like public ML repositories of different kinds.

Each entry is (name, files). The expected outcome of every check and the
expected evidence level are in ``tests/gates/test_corpus.py``, written before
the corpus was first run. Tokens are built from parts so that secret scanners
skip this file.
"""

from __future__ import annotations

from .corpus_parts import (
    APACHE,
    BSD3,
    MIT,
    pytest_file,
    sections,
    workflow,
)

PROSE = (
    "This repository trains and evaluates a compact transformer for character-level language "
    "modelling, so that a single GPU can reproduce the results of our workshop paper within "
    "an afternoon and others can build on a small, readable code base."
)

# 1. Minimal training code from a paper or tutorial: a flat layout, Python config modules.
NANO = {
    "README.md": "# nanolm\n\n![loss curve](assets/loss.png)\n\n" + PROSE + "\n\n## install\n\n"
    "```\npip install torch numpy tiktoken\n```\n",
    "LICENSE": MIT,
    "model.py": "import torch\n\nclass GPT(torch.nn.Module):\n    pass\n",
    "train.py": "from model import GPT\n\nbatch_size = 12\nlearning_rate = 6e-4\n",
    "sample.py": "from model import GPT\n",
    "config/train_shakespeare_char.py": "out_dir = 'out-shakespeare-char'\nmax_iters = 5000\n",
    "config/train_gpt2.py": "batch_size = 12\nblock_size = 1024\nmax_iters = 600000\n",
    "config/eval_gpt2.py": "batch_size = 8\neval_iters = 500\neval_only = True\n",
    "data/shakespeare_char/prepare.py": "import numpy as np\n",
    "data/openwebtext/readme.md": "after running prepare.py:\n\n- train.bin is ~17GB\n",
    "assets/loss.png": b"\x89PNG\r\n\x1a\n\x00\x00",
}

# 2. A detection toolbox: badges, an HTML logo block, a rule, Python configs, CI, tests.
TOOLBOX = {
    "README.md": (
        '<div align="center">\n  <img src="resources/logo.png" width="600"/>\n'
        "  <b>DetBox</b> platform\n</div>\n\n"
        "[![build](https://ci.example/badge.svg)](https://ci.example) "
        "[![docs](https://docs.example/badge.svg)](https://docs.example)\n\n---\n\n"
        "DetBox is an open source object detection toolbox based on PyTorch. It collects "
        "modular detectors, training schedules and evaluation tools so that research groups "
        "can compare methods on equal terms.\n\n## Installation\n\nSee docs/get_started.md.\n"
    ),
    "LICENSE": APACHE,
    "setup.py": "from setuptools import setup\nsetup(name='detbox')\n",
    "requirements/runtime.txt": "numpy\ntorch>=1.8\ntorchvision\npycocotools\n",
    "detbox/__init__.py": "__version__ = '3.1.0'\n",
    "detbox/models/detectors/two_stage.py": "class TwoStageDetector:\n    pass\n",
    "configs/_base_/models/faster_rcnn_r50_fpn.py": "model = dict(type='FasterRCNN')\n",
    "configs/_base_/schedules/schedule_1x.py": "optimizer = dict(type='SGD', lr=0.02)\n",
    "configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py": "_base_ = ['../_base_/models/x.py']\n",
    "tests/test_models/test_detectors.py": pytest_file(12, "detbox"),
    ".github/workflows/build.yml": workflow("build"),
    ".github/workflows/lint.yml": workflow("lint", "flake8"),
    "docs/conf.py": "extensions = ['sphinx.ext.autodoc', 'sphinx.ext.napoleon']\n",
    "docs/get_started.md": "# Get started\n\nInstall with pip.\n",
    "resources/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00",
}

# 3. A small library: src layout, lock file, mkdocs API reference, integration tests.
LIBRARY = {
    "README.md": sections(
        "tabfeat",
        {
            "Overview": "tabfeat builds leak-free feature pipelines for tabular models, "
            "with time-aware splits and target encoding that never sees the test fold.",
            "Usage": "Create a FeatureSet from a DataFrame, then call fit_transform on the "
            "training fold and transform on the others.",
        },
    ),
    "LICENSE": BSD3,
    "pyproject.toml": '[project]\nname = "tabfeat"\ndependencies = ["pandas>=2"]\n',
    "poetry.lock": '[[package]]\nname = "pandas"\nversion = "2.1.4"\n',
    "src/tabfeat/__init__.py": "from .core import FeatureSet\n",
    "src/tabfeat/core.py": "class FeatureSet:\n    pass\n",
    "tests/test_core.py": pytest_file(14, "tabfeat"),
    "tests/integration/test_pipeline.py": pytest_file(3, "tabfeat"),
    ".github/workflows/ci.yml": workflow(),
    "mkdocs.yml": "site_name: tabfeat\nplugins:\n  - mkdocstrings\nnav:\n  - api.md\n",
    "docs/api.md": "::: tabfeat.core\n",
}

HF_CARD = (
    "---\nlanguage: en\nlicense: apache-2.0\nlibrary_name: transformers\n"
    "pipeline_tag: text-classification\nbase_model: distilbert-base-uncased\n"
    "model-index:\n- name: review-sentiment\n  results: []\n---\n\n"
    "# Model Card for review-sentiment\n\n"
    "<!-- Provide a quick summary of what the model is. -->\n\n"
    "This model classifies the sentiment of English product reviews as positive or negative, "
    "and was fine-tuned to help a support team sort incoming feedback by urgency.\n\n"
    "## Model Details\n\n### Model Description\n\nDeveloped by the feedback team.\n\n"
    "## Uses\n\n### Direct Use\n\nSorting product reviews written in English.\n\n"
    "### Out-of-Scope Use\n\nNot for moderation decisions or for profiling customers.\n\n"
    "## Bias, Risks, and Limitations\n\nReviews with sarcasm are often misread.\n\n"
    "### Recommendations\n\nKeep a person in the loop for escalations.\n\n"
    "## How to Get Started with the Model\n\nLoad it with the pipeline API.\n\n"
    "## Training Details\n\n### Training Data\n\n60k public product reviews.\n\n"
    "## Evaluation\n\n### Testing Data, Factors & Metrics\n\n#### Metrics\n\nAccuracy and F1.\n\n"
    "### Results\n\nAccuracy 0.93 on the held-out reviews.\n\n"
    "## Environmental Impact\n\n[More Information Needed]\n"
)

# 4. A released model, Hugging Face layout: the card is the README; no code, no LICENSE file.
HF_MODEL = {
    "README.md": HF_CARD,
    "config.json": '{"architectures": ["DistilBertForSequenceClassification"]}\n',
    "tokenizer.json": '{"version": "1.0", "model": {"type": "WordPiece"}}\n',
    "special_tokens_map.json": '{"cls_token": "[CLS]"}\n',
    "model.safetensors": b"\x00\x01binary weights",
    "trainer_state.json": '{"best_metric": 0.93, "log_history": [{"loss": 0.3}]}\n',
    ".gitattributes": "*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
}

# 5. A Trainer-generated card: placeholders where the intended use and data should be.
HF_AUTOCARD = {
    "README.md": (
        "---\nlicense: apache-2.0\nbase_model: distilbert-base-uncased\ntags:\n"
        "- generated_from_trainer\nmetrics:\n- accuracy\nmodel-index:\n- name: imdb-ft\n"
        "  results: []\n---\n\n<!-- This model card has been generated automatically. -->\n\n"
        "# imdb-ft\n\nThis model is a fine-tuned version of "
        "[distilbert-base-uncased](https://huggingface.co/distilbert-base-uncased) on the imdb "
        "dataset.\nIt achieves the following results on the evaluation set:\n- Loss: 0.2301\n"
        "- Accuracy: 0.9312\n\n## Model description\n\nMore information needed\n\n"
        "## Intended uses & limitations\n\nMore information needed\n\n"
        "## Training and evaluation data\n\nMore information needed\n\n"
        "## Training procedure\n\n### Training hyperparameters\n\n- learning_rate: 2e-05\n\n"
        "### Training results\n\n| Training Loss | Epoch | Accuracy |\n|---|---|---|\n"
        "| 0.2301 | 1.0 | 0.9312 |\n\n### Framework versions\n\n- Transformers 4.35.2\n"
    ),
    "config.json": '{"architectures": ["DistilBertForSequenceClassification"]}\n',
    "training_args.bin": b"\x80\x04binary",
    "all_results.json": '{"eval_accuracy": 0.9312}\n',
    "eval_results.json": '{"eval_accuracy": 0.9312}\n',
    "train_results.json": '{"train_loss": 0.2301}\n',
    "trainer_state.json": '{"epoch": 1.0}\n',
}

# 6. A dataset repository: the dataset card is the README, with a loading script.
HF_DATASET = {
    "README.md": (
        "---\nannotations_creators:\n- expert-generated\nlanguage:\n- sw\n- en\n"
        "task_categories:\n- translation\nsize_categories:\n- 10K<n<100K\n"
        "pretty_name: Coastal Swahili-English\n---\n\n"
        "# Dataset Card for Coastal Swahili-English\n\n"
        "## Table of Contents\n- [Dataset Description](#dataset-description)\n\n"
        "## Dataset Description\n\n### Dataset Summary\n\nParallel sentences from coastal radio "
        "transcripts, built to support translation for local health messaging.\n\n"
        "### Supported Tasks and Leaderboards\n\nMachine translation in both directions.\n\n"
        "## Dataset Structure\n\n### Data Fields\n\n- `sw`: the Swahili sentence\n- `en`: "
        "its translation\n\n"
        "## Dataset Creation\n\n### Curation Rationale\n\nFew parallel corpora cover coastal "
        "dialects.\n\n### Source Data\n\nTranscripts of public radio shows, 2019-2022.\n\n"
        "### Annotations\n\nTwo translators per sentence; disagreements adjudicated.\n\n"
        "## Additional Information\n\n### Dataset Curators\n\nThe language-technology lab.\n\n"
        "### Licensing Information\n\nCC BY-SA 4.0.\n"
    ),
    "coastal_sw_en.py": "import datasets\n\nclass CoastalSwEn(datasets.GeneratorBasedBuilder):\n"
    "    pass\n",
    "data/train-00000-of-00001.parquet": b"PAR1\x00\x00binary",
}

# 7. An MLOps pipeline with DVC: params.yaml, dvc.yaml/lock, a CML workflow, pinned pip.
DVC = {
    "README.md": "# Stack Overflow tag classifier\n\nThis project is a DVC pipeline that "
    "prepares Stack Overflow posts, extracts bag-of-words features and trains a random forest "
    "that predicts whether a question is about R.\n",
    "params.yaml": "prepare:\n  split: 0.20\n  seed: 20170428\ntrain:\n  n_est: 50\n",
    "dvc.yaml": "stages:\n  prepare:\n    cmd: python src/prepare.py data/data.xml\n",
    "dvc.lock": "schema: '2.0'\nstages:\n  prepare:\n    cmd: python src/prepare.py\n",
    "data/data.xml.dvc": "outs:\n- md5: a304afb96060aad90176268345e10355\n  path: data.xml\n",
    "data/.gitignore": "/data.xml\n",
    ".dvc/config": "[core]\n    remote = storage\n",
    "src/prepare.py": "import sys\n",
    "src/featurization.py": "import numpy as np\n",
    "src/train.py": "from sklearn.ensemble import RandomForestClassifier\n",
    "src/evaluate.py": "import json\n",
    "requirements.txt": "dvc==3.30.1\nscikit-learn==1.3.2\npandas==2.1.4\n",
    ".github/workflows/cml.yaml": workflow("cml", "dvc repro"),
}

# 8. An MLflow project: MLproject, conda.yaml, tracked runs; the README is a single line.
MLFLOW = {
    "README.md": "# wine quality\n\nElasticNet on the wine data.\n",
    "MLproject": "name: wine\nconda_env: conda.yaml\nentry_points:\n  main:\n"
    "    command: python train.py {alpha}\n",
    "conda.yaml": "name: wine\ndependencies:\n  - python=3.10.12\n  - pip=23.3.1\n  - pip:\n"
    "    - mlflow==2.9.2\n    - scikit-learn==1.3.2\n",
    "requirements.txt": "mlflow==2.9.2\nscikit-learn==1.3.2\n",
    "train.py": "import mlflow\n\nalpha = 0.5\n",
    "mlruns/0/meta.yaml": "artifact_location: mlruns/0\nname: Default\n",
    "mlruns/0/4f1c2a/meta.yaml": "run_id: 4f1c2a\nstatus: 3\n",
    "mlruns/0/4f1c2a/params/alpha": "0.5",
    "mlruns/0/4f1c2a/metrics/rmse": "1700000000 0.79 0\n",
}

CORPUS_A = {
    "nano-training-code": NANO,
    "detection-toolbox": TOOLBOX,
    "tabular-library": LIBRARY,
    "hf-released-model": HF_MODEL,
    "hf-trainer-autocard": HF_AUTOCARD,
    "hf-dataset-card": HF_DATASET,
    "dvc-pipeline": DVC,
    "mlflow-project": MLFLOW,
}
