"""Patterns real ML repositories hit that the checks once judged wrong (issue 11).

Each test reproduces the shape of a real repository's file, not one instance:
README openings with rules, badges, HTML and navigation lines; experiment
records in the forms ML code uses; a repository with no code; ethics answers
followed by footnotes and notes; model cards and datasheets from the two
templates in use.
"""

from __future__ import annotations

import re

import pytest

from gates.checks.experiments import EXPERIMENT_KINDS, EXPERIMENT_LOOKED_FOR
from gates.models import CheckOutcome

PASS, WARN, FAIL = CheckOutcome.PASS, CheckOutcome.WARN, CheckOutcome.FAIL

PARAGRAPH_44 = (
    "This repository holds the training code for a sparse mixture of "
    "experts model that routes each token to two of sixty four experts. It "
    "reproduces the results of our paper on three translation benchmarks and includes "
    "scripts that download data, train and evaluate checkpoints."
)

# --- readme_purpose -------------------------------------------------------------------


def test_words_in_the_44_word_paragraph():
    assert len(PARAGRAPH_44.split()) == 44


def test_readme_first_paragraph_after_title_image_badges_and_rule(run_check):
    text = (
        "# SparseMoE\n\n"
        "![architecture](docs/arch.png)\n"
        "[![CI](https://ci/badge.svg)](https://ci) [![PyPI](https://pypi/badge.svg)](https://p)\n"
        "\n---\n\n" + PARAGRAPH_44 + "\n\n## Install\n\npip install sparsemoe\n"
    )
    out = run_check("readme_purpose", {"README.md": text})
    assert out.outcome == PASS, out.message
    assert out.evidence["first_paragraph_words"] == 44
    assert out.evidence["first_paragraph_line"] == 8


def test_readme_html_block_and_navigation_line_are_skipped(run_check):
    text = (
        '<p align="center">\n  <img src="logo.png" width="300">\n  <br>\n  Logo by Ada\n</p>\n\n'
        "[[Paper]](https://arxiv.org/abs/1) | [[Project page]](https://x.io) | [Demo](https://d)\n"
        "\n***\n\n" + PARAGRAPH_44 + "\n"
    )
    out = run_check("readme_purpose", {"README.md": text})
    assert out.outcome == PASS, out.message
    assert out.evidence["first_paragraph_words"] == 44


def test_readme_short_tagline_then_nothing_still_fails(run_check):
    text = "# Tool\n\n---\n\n![x](y.png)\n\nA tool for data.\n\n## Install\n\npip install tool\n"
    out = run_check("readme_purpose", {"README.md": text})
    assert out.outcome == FAIL
    assert out.evidence["first_paragraph_words"] == 4


def test_readme_abstract_section_states_the_purpose(run_check):
    text = "# Paper code\n\n## Abstract\n\n" + PARAGRAPH_44 + "\n"
    out = run_check("readme_purpose", {"README.md": text})
    assert out.outcome == PASS
    assert out.evidence["heading"] == "Abstract"


# --- experiment_records ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("config/train_shakespeare_char.py", "config files"),
        ("configs/faster_rcnn/faster_rcnn_r50_fpn_1x.py", "config files"),
        ("configs/t5/base.gin", "config files"),
        ("conf/model/resnet.yaml", "Hydra configs"),
        ("outputs/2024-01-01/12-00-00/.hydra/config.yaml", "Hydra configs"),
        ("recipes/LibriSpeech/ASR/hparams/train.yaml", "hyperparameter files"),
        ("sweep.yaml", "sweep files"),
        ("sweeps/lr_search.yaml", "sweep files"),
        ("params.yaml", "parameter files"),
        ("dvc.yaml", "DVC pipelines"),
        ("MLproject", "MLflow runs"),
        ("mlruns/0/3f2a/params/lr", "MLflow runs"),
        ("wandb/run-20240101_120000-abc123/files/config.yaml", "Weights & Biases runs"),
        ("wandb/offline-run-20240101_120000-abc123/files/wandb-summary.json",
         "Weights & Biases runs"),
        ("runs/exp1/events.out.tfevents.1700000000.host.1.0", "TensorBoard or Lightning runs"),
        ("lightning_logs/version_3/hparams.yaml", "TensorBoard or Lightning runs"),
        ("checkpoints/run1/trainer_state.json", "Hugging Face Trainer records"),
    ],
)  # fmt: skip
def test_experiment_records_accept_the_forms_ml_code_uses(run_check, path, kind):
    out = run_check("experiment_records", {path: "lr = 3e-4\n", "train.py": "print(1)\n"})
    assert out.outcome == PASS, out.message
    assert out.evidence["kinds"] == [kind]
    assert out.evidence["paths"] == [path]


@pytest.mark.parametrize(
    "files",
    [
        {"configs/__init__.py": "x = 1\n"},  # a package marker, not a config
        {"configs/base.yaml": ""},  # empty
        {"wandb/settings": "[default]\n"},  # W&B settings, no run
        {"config.py": "DATA_DIR = '/data'\n"},  # one settings module at the root
        {"src/train.py": "lr = 1e-3\n"},
    ],
)
def test_experiment_records_refuse_what_records_nothing(run_check, files):
    out = run_check("experiment_records", {**files, "README.md": "x"})
    assert out.outcome == FAIL
    assert out.evidence["looked_for"] == EXPERIMENT_LOOKED_FOR


def _examples(glob: str) -> list[str]:
    """Concrete paths a glob from the looked-for list describes."""
    m = re.search(r"\{([^}]*)\}", glob)
    variants = (
        [glob[: m.start()] + v + glob[m.end() :] for v in m.group(1).split(",")] if m else [glob]
    )
    out = []
    for v in variants:
        v = v.replace("**/", "a/b/").replace("*", "x2")
        out.append(v + "f.txt" if v.endswith("/") else v)
    return out


@pytest.mark.parametrize("kind", EXPERIMENT_KINDS, ids=lambda k: k.name)
def test_experiment_looked_for_list_matches_the_rule(kind):
    """Every glob the failure message shows is accepted by exactly that kind's rule."""
    for glob in kind.looked_for:
        for example in _examples(glob):
            assert kind.pattern.search(example), (glob, example)
    assert set(kind.looked_for) <= set(EXPERIMENT_LOOKED_FOR)


def test_experiment_looked_for_globs_each_pass_the_check(run_check):
    files = {}
    for glob in EXPERIMENT_LOOKED_FOR:
        files[_examples(glob)[0]] = "x: 1\n"
    out = run_check("experiment_records", files)
    assert out.outcome == PASS
    assert sorted(out.evidence["kinds"]) == sorted(k.name for k in EXPERIMENT_KINDS)


# --- not_only_notebooks ---------------------------------------------------------------


def test_not_only_notebooks_fails_without_any_code(run_check):
    files = {"README.md": "# Notes\n", "paper/main.tex": "\\section{x}", "docs/conf.py": "x=1\n"}
    out = run_check("not_only_notebooks", files)
    assert out.outcome == FAIL
    assert out.message == "The repository has no code: no source files and no notebooks."
    assert out.evidence["source_files"] == 0


# --- ethics checklist -----------------------------------------------------------------

ETHICS_HEAD = (
    "# Ethics\n\n## Pre-development\n\n- Q1. Who could be harmed?\n\n"
    "  Farmers, if yields are over-estimated.\n\n"
)


@pytest.mark.parametrize(
    "after",
    [
        "[^1]: Adapted from the Deon checklist, which lists questions for data teams.\n",
        "---\n\nThis checklist follows the template of our organisation's review board.\n",
        "¹ Questions adapted from the MLTRL paper's ethics appendix, used with thanks.\n",
        "> **Note:** delete this line and write your answer under each question above.\n",
        "_Hint: answer in two or three sentences, naming the people affected._\n",
        "<!-- Template: answer each question; keep the numbering unchanged. -->\n",
        "> [!TIP]\n> Use the data inventory to answer the consent question.\n",
        '[deon]: https://deon.drivendata.org/ "Deon ethics checklist"\n',
    ],
)
def test_ethics_unanswered_last_question_stays_unanswered(run_check, after):
    text = ETHICS_HEAD + "- Q2. Was consent obtained for the data?\n\n" + after
    out = run_check("ethics_checklist_pre", {"ETHICS.md": text})
    assert out.outcome == FAIL, out.message
    assert out.evidence["unanswered_lines"] == [9]
    assert out.evidence["answered"] == 1


def test_ethics_answer_after_a_note_still_counts(run_check):
    text = (
        ETHICS_HEAD
        + "- Q2. Was consent obtained for the data?\n\n> Note: cite the agreement.\n\n"
        + "Yes, under the 2023 data-sharing agreement with the cooperative.\n"
    )
    out = run_check("ethics_checklist_pre", {"ETHICS.md": text})
    assert out.outcome == PASS, out.message
    assert out.evidence["answered"] == 2


# --- model card -----------------------------------------------------------------------

HF_FRONT = (
    "---\nlanguage: en\nlicense: apache-2.0\nlibrary_name: transformers\n"
    "pipeline_tag: text-classification\n---\n\n"
)


def card(*titles: str, body: str = "Written for this model with real words.") -> str:
    return "".join(f"## {t}\n\n{body}\n\n" for t in titles)


def test_model_card_hugging_face_template_structure(run_check):
    text = (
        "# Model Card for tiny-sentiment\n\n## Model Details\n\nA small classifier.\n\n"
        "## Uses\n\n### Direct Use\n\nScoring product reviews.\n\n"
        "### Out-of-Scope Use\n\nNot for medical or legal text; not for profiling people.\n\n"
        "## Bias, Risks, and Limitations\n\nTrained on English reviews only.\n\n"
        "## Training Details\n\n### Training Data\n\n50k reviews from a public corpus.\n\n"
        "## Evaluation\n\n### Results\n\nAccuracy 0.91 on the held-out split.\n"
    )
    out = run_check("model_card", {"README.md": HF_FRONT + text})
    assert out.outcome == PASS, out.message
    sections = out.evidence["sections"]
    assert sections["Intended use"]["heading"] == "Uses"
    assert sections["Limitations"]["heading"] == "Bias, Risks, and Limitations"
    assert sections["Ethical considerations"]["heading"] == "Out-of-Scope Use"
    assert sections["Ethical considerations"]["alias"] == "out of scope use"
    assert sections["Training and evaluation data"]["heading"] == "Training Data"
    assert sections["Metrics"]["heading"] == "Evaluation"
    assert "Limitations <- 'Bias, Risks, and Limitations'" in out.message


@pytest.mark.parametrize(
    "ethics_heading", ["Broader Implications", "Risks", "Broader Impact", "Fairness"]
)
def test_model_card_ethical_considerations_aliases(run_check, ethics_heading):
    titles = ("Intended Use", "Metrics", "Training Data", "Caveats and Recommendations")
    out = run_check("model_card", {"MODEL_CARD.md": card(*titles, ethics_heading)})
    assert out.outcome == PASS, out.message
    assert out.evidence["sections"]["Ethical considerations"]["heading"] == ethics_heading
    assert out.evidence["sections"]["Limitations"]["heading"] == "Caveats and Recommendations"


def test_model_card_trainer_placeholders_and_how_to_use_do_not_count(run_check):
    text = HF_FRONT + (
        "# distilbert-finetuned\n\nThis model is a fine-tuned version of distilbert.\n\n"
        "## Model description\n\nMore information needed\n\n"
        "## Intended uses & limitations\n\nMore information needed\n\n"
        "## Training and evaluation data\n\n[More Information Needed]\n\n"
        "## How to use\n\n```python\npipeline('text-classification')\n```\n\n"
        "## Training procedure\n\n### Training results\n\n| loss | 0.2 |\n"
    )
    out = run_check("model_card", {"README.md": text})
    assert out.outcome == FAIL
    assert out.evidence["missing"] == [
        "Intended use (empty)",
        "Training and evaluation data (empty)",
        "Limitations (empty)",
        "Ethical considerations",
    ]
    assert out.evidence["sections"]["Metrics"]["heading"] == "Training results"


def test_plain_readme_is_not_a_model_card(run_check):
    out = run_check("model_card", {"README.md": "# Tool\n\n## Usage\n\nrun it\n"})
    assert out.outcome == FAIL
    assert out.message == "No model card was found."


# --- datasheet ------------------------------------------------------------------------

GEBRU = ("Motivation", "Composition", "Collection process", "Preprocessing", "Uses",
         "Distribution", "Maintenance")  # fmt: skip


@pytest.mark.parametrize(
    "path", ["data/README.md", "data/cityscapes/README.md", "data/corpus.md", "DATASET_CARD.md"]
)
def test_datasheet_candidates_where_ml_repositories_keep_them(run_check, path):
    out = run_check("datasheet", {path: card(*GEBRU), "README.md": "# x\n"})
    assert out.outcome == PASS, out.message
    assert out.evidence["path"] == path


def test_datasheet_hugging_face_dataset_card(run_check):
    front = "---\nannotations_creators:\n- expert-generated\ntask_categories:\n- translation\n---\n"
    text = front + card(
        "Dataset Summary",
        "Supported Tasks and Leaderboards",
        "Dataset Structure",
        "Curation Rationale",
        "Source Data",
        "Annotations",
        "Licensing Information",
        "Dataset Curators",
    )
    out = run_check("datasheet", {"README.md": text})
    assert out.outcome == PASS, out.message
    sections = out.evidence["sections"]
    assert sections["Motivation"]["heading"] == "Dataset Summary"
    assert sections["Preprocessing/cleaning/labeling"]["heading"] == "Annotations"
    assert sections["Maintenance"]["heading"] == "Dataset Curators"


def test_hf_card_blocks_that_every_card_has_do_not_stand_in_for_sections(run_check):
    """ "Dataset Description" (the links block) is not Motivation, and "Initial Data
    Collection and Normalization" (under Source Data) is not labelling: with Curation
    Rationale and Annotations left as placeholders, both are reported missing."""
    placeholder = "[More Information Needed]"
    text = (
        "# Dataset Card for ticket-intents\n\n## Dataset Description\n\n"
        "- **Homepage:** https://example.org/tickets\n- **Point of Contact:** data team\n\n"
        + card("Dataset Structure", "Licensing Information", "Dataset Curators", "Direct Use")
        + f"## Dataset Creation\n\n### Curation Rationale\n\n{placeholder}\n\n"
        "### Source Data\n\n#### Initial Data Collection and Normalization\n\n"
        "Exported from the ticket system in 2024 and lower-cased.\n\n"
        f"### Annotations\n\n#### Annotation process\n\n{placeholder}\n\n"
        f"#### Who are the annotators?\n\n{placeholder}\n"
    )
    out = run_check("datasheet", {"data/README.md": text})
    assert out.outcome == WARN, out.message
    assert "Motivation (empty)" in out.message
    assert "Preprocessing/cleaning/labeling (empty)" in out.message
    assert out.evidence["sections"]["Collection process"]["heading"] == "Source Data"


GEBRU_QUESTIONS = {  # one question of each section of Datasheets for Datasets, as headings
    "Motivation": "For what purpose was the dataset created?",
    "Composition": "What data does each instance consist of?",
    "Collection process": "How was the data associated with each instance acquired?",
    "Preprocessing/cleaning/labeling": "Was any preprocessing/cleaning/labeling of the data done?",
    "Uses": "Has the dataset been used for any tasks already?",
    "Distribution": "How will the dataset be distributed?",
    "Maintenance": "Who will be supporting/hosting/maintaining the dataset?",
}


def test_a_datasheet_with_gebrus_questions_as_headings(run_check):
    text = "# Datasheet: support tickets\n\n" + "".join(
        f"### {question}\n\nAnswered here with real words for this dataset.\n\n"
        for question in GEBRU_QUESTIONS.values()
    )
    out = run_check("datasheet", {"DATASHEET.md": text})
    assert out.outcome == PASS, out.message
    assert {name: found["heading"] for name, found in out.evidence["sections"].items()} == (
        GEBRU_QUESTIONS
    )


def test_a_title_that_is_only_a_section_name_is_that_section(run_check):
    text = "# Motivation\n\nBuilt to study churn in the first year.\n\n" + card(
        "Composition", "Collection process", "Preprocessing", "Uses", "Distribution",
        "Maintenance",
    )  # fmt: skip
    out = run_check("datasheet", {"DATASHEET.md": text})
    assert out.outcome == PASS, out.message
    assert out.evidence["sections"]["Motivation"]["heading"] == "Motivation"


def test_a_card_title_is_not_one_of_its_sections(run_check):
    """A model card titled with a word of the vocabulary ("bias") still needs the
    section: the title's body is the whole card."""
    text = (
        "# Model Card for bias-detector\n\n## Model Details\n\nA small classifier.\n\n"
        "## Uses\n\nFlagging biased wording in job adverts.\n\n"
        "## Training Details\n\nFine-tuned on 20k annotated adverts.\n\n"
        "## Evaluation\n\nF1 0.81 on the held-out split.\n"
    )
    out = run_check("model_card", {"README.md": HF_FRONT + text})
    assert out.outcome != PASS
    assert "Ethical considerations" in out.message


def test_datasheet_names_what_each_candidate_lacks(run_check):
    files = {
        "data/README.md": card("Composition", "Collection process"),
        "data/raw/README.md": card("Motivation"),
    }
    out = run_check("datasheet", files)
    assert out.outcome == FAIL
    assert out.evidence["path"] == "data/README.md"
    assert out.evidence["candidates"] == [
        {"path": "data/README.md", "missing": ["Motivation", "Preprocessing/cleaning/labeling",
                                               "Uses", "Distribution", "Maintenance"]},
        {"path": "data/raw/README.md", "missing": ["Composition", "Collection process",
                                                   "Preprocessing/cleaning/labeling", "Uses",
                                                   "Distribution", "Maintenance"]},
    ]  # fmt: skip
    assert out.message.startswith(
        "data/README.md lacks datasheet sections: Motivation, Preprocessing/cleaning/labeling, "
        "Uses, Distribution, Maintenance. data/raw/README.md lacks Composition,"
    )


def test_model_card_unfilled_template_is_all_empty(run_check):
    """The template as generated: headings with only HTML comments and blank labels."""
    text = HF_FRONT + (
        "# Model Card for x\n\n<!-- Provide a quick summary of what the model is/does. -->\n\n"
        "## Model Details\n\n### Model Description\n\n- **Developed by:** \n- **License:** \n\n"
        "## Uses\n\n<!-- Address questions around how the model is intended to be used. -->\n\n"
        "### Direct Use\n\n<!-- This section is for the model use without fine-tuning. -->\n\n"
        "### Out-of-Scope Use\n\n<!-- This section addresses misuse,\nmalicious use. -->\n\n"
        "## Bias, Risks, and Limitations\n\n<!-- Technical and sociotechnical limits. -->\n\n"
        "### Recommendations\n\n<!-- Recommendations with respect to the bias. -->\n\n"
        "## Training Details\n\n### Training Data\n\n[More Information Needed]\n\n"
        "## Evaluation\n\n### Results\n\n[More Information Needed]\n"
    )
    out = run_check("model_card", {"README.md": text})
    assert out.outcome == FAIL
    assert out.evidence["sections"] == {}
    assert all(m.endswith("(empty)") for m in out.evidence["missing"]), out.evidence["missing"]


def test_datasheet_current_hugging_face_dataset_card_template(run_check):
    front = "---\nlicense: cc-by-4.0\ntask_categories:\n- image-classification\n---\n"
    text = front + (
        "# Dataset Card for leaf-photos\n\n## Dataset Details\n\n### Dataset Description\n\n"
        "Photos of diseased leaves, made to train triage models for extension officers.\n\n"
        "### Dataset Sources\n\n- **Repository:** the project's data portal, as tar files.\n\n"
        "## Uses\n\n### Direct Use\n\nTraining and evaluating classifiers.\n\n"
        "## Dataset Structure\n\nOne folder per class; 41,200 JPEG files.\n\n"
        "## Dataset Creation\n\n### Curation Rationale\n\nNo public set covers these crops.\n\n"
        "### Source Data\n\n#### Data Collection and Processing\n\nPhones in 2022; blurry "
        "photos removed.\n\n## Dataset Card Contact\n\ndata-team@example.org\n"
    )
    out = run_check("datasheet", {"README.md": text})
    assert out.outcome == PASS, out.message
    sections = out.evidence["sections"]
    assert sections["Distribution"]["heading"] == "Dataset Sources"
    assert sections["Maintenance"]["heading"] == "Dataset Card Contact"
    assert sections["Preprocessing/cleaning/labeling"]["heading"] == (
        "Data Collection and Processing"
    )
