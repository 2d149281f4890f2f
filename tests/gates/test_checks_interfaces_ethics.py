"""Interface and API documentation checks and the ethics checklist, on real repositories."""

from __future__ import annotations

import pytest

from gates.models import CheckOutcome

from .test_checks_documents import toml

PASS, WARN, FAIL = CheckOutcome.PASS, CheckOutcome.WARN, CheckOutcome.FAIL


# --- interface_docs / api_docs --------------------------------------------------------

WORDS = "The predict endpoint takes a JSON list of rows and returns a list of probabilities."


@pytest.mark.parametrize(
    "files,kind",
    [
        ({"docs/interface.md": WORDS}, "document"),
        ({"INTERFACE.md": WORDS}, "document"),
        ({"api/openapi.yaml": "openapi: 3.0.0\n"}, "api_spec"),
        ({"proto/model.proto": "service Model {}\n"}, "schema"),
        ({"README.md": "# X\n\n## Usage\n\n" + WORDS}, "readme_section"),
    ],
)
def test_interface_docs_pass(run_check, files, kind):
    out = run_check("interface_docs", files)
    assert out.outcome == PASS
    assert out.evidence["kind"] == kind


def test_interface_docs_fail(run_check):
    out = run_check("interface_docs", {"README.md": "# X\n\n## Install\n\n" + WORDS})
    assert out.outcome == FAIL
    assert out.message == "The project's interface is not documented."
    assert "docs/interface.md" in out.fix
    files = {".mltrl.toml": toml(interface_docs="docs/if.md"), "docs/if.md": "todo"}
    out = run_check("interface_docs", files)
    assert out.outcome == FAIL
    assert out.message == "docs/if.md is nearly empty (1 word)."


@pytest.mark.parametrize(
    "title", ["gemini-api-eval", "sentiment-api", "Brain-computer interface decoding"]
)
def test_a_readme_title_is_not_a_usage_section(run_check, title):
    about = "Evaluation scripts for a language model on three public benchmarks, with plots."
    readme = f"# {title}\n\n{about}\n"
    out = run_check("interface_docs", {"README.md": readme, "run.py": "print(1)\n"})
    assert out.outcome == FAIL, out.message
    # with sections below the title, still only a usage section counts
    readme += "\n## Install\n\npip install -r requirements.txt and then some more words\n"
    assert run_check("interface_docs", {"README.md": readme}).outcome == FAIL
    # a README whose sections are all level-1 headings keeps every one of them
    readme = f"# {title}\n\n{about}\n\n# Usage\n\n{WORDS}\n"
    out = run_check("interface_docs", {"README.md": readme})
    assert (out.outcome, out.evidence["heading"]) == (PASS, "Usage")


def test_a_title_that_is_only_a_usage_heading_is_a_usage_section(run_check):
    readme = f"# Usage\n\n{WORDS}\n"
    out = run_check("interface_docs", {"README.md": readme})
    assert (out.outcome, out.evidence["heading"]) == (PASS, "Usage")


def test_a_usage_section_too_short_is_named(run_check):
    out = run_check("interface_docs", {"README.md": "# X\n\n## Usage\n\nSee docs.\n"})
    assert out.outcome == FAIL
    assert out.message == (
        "The project's interface is not documented. README.md has a usage section, "
        "but with fewer than 5 words."
    )


@pytest.mark.parametrize(
    "files,kind",
    [
        ({"swagger.json": "{}"}, "api_spec"),
        ({"docs/api/index.md": "# API"}, "api_pages"),
        ({"docs/reference/api.rst": "API"}, "api_pages"),
        ({"mkdocs.yml": "plugins:\n  - mkdocstrings\n"}, "mkdocs"),
        ({"docs/conf.py": "extensions = ['sphinx.ext.autodoc']\n"}, "sphinx"),
        ({"docs/conf.py": "x = 1\n", "docs/model.rst": ".. automodule:: yieldpred\n"}, "sphinx"),
        (
            {".mltrl.toml": toml(api_docs="site/reference"), "site/reference/a.html": "x"},
            "configured",
        ),
    ],
)
def test_api_docs_pass(run_check, files, kind):
    out = run_check("api_docs", files)
    assert out.outcome == PASS, out.message
    assert out.evidence["kind"] == kind


def test_api_docs_fail(run_check):
    out = run_check("api_docs", {"docs/conf.py": "x = 1\n", "docs/index.rst": "Hello\n"})
    assert out.outcome == FAIL
    assert out.message == "No API documentation was found."
    assert "docs/api/" in out.fix
    out = run_check("api_docs", {".mltrl.toml": toml(api_docs="site/ref"), "site/x.md": "x"})
    assert out.outcome == FAIL
    assert "site/ref, which is not a file or folder here" in out.message


# --- ethics checklist -----------------------------------------------------------------

ETHICS = """# AI ethics checklist

## Pre-development

- [x] Have we identified who could be harmed?
- [x] Is the training data representative of the people affected?

### Data

**Q1: Was consent obtained for the data?**
A: Yes, under the 2023 data-sharing agreement.

Is personal data minimised? Yes, we drop names and addresses.

## Post-development

- [x] Was the model evaluated for disparate performance?
- [ ] Is there a channel for users to contest decisions?

Who monitors fairness metrics in production?
TODO

## Appendix

- [ ] not part of any section
"""


def test_ethics_pre_pass(run_check):
    out = run_check("ethics_checklist_pre", {"ETHICS.md": ETHICS})
    assert out.outcome == PASS, out.message
    assert out.evidence["answered"] == 4
    assert out.evidence["unanswered"] == 0
    assert out.evidence["section"] == "Pre-development"
    assert (
        out.message
        == "All 4 questions of the pre-development ethics checklist in ETHICS.md are answered."
    )


def test_ethics_post_fail_lists_lines(run_check):
    out = run_check("ethics_checklist_post", {"docs/ethics-checklist.md": ETHICS})
    assert out.outcome == FAIL
    assert out.message == (
        "2 questions of the post-development ethics checklist are unanswered in "
        'docs/ethics-checklist.md (lines 18, 20; first: "Is there a channel for users to '
        'contest decisions?").'
    )
    assert out.evidence["unanswered_lines"] == [18, 20]
    assert [q["question"] for q in out.evidence["unanswered_questions"]] == [
        '"Is there a channel for users to contest decisions?"',
        '"Who monitors fairness metrics in production?"',
    ]
    assert out.evidence["answered"] == 1
    assert "tick '- [ ]' items" in out.fix


def test_ethics_missing_section_and_no_questions(run_check):
    out = run_check("ethics_checklist_post", {"ETHICS.md": "## Pre-development\n\n- [x] a?\n"})
    assert out.outcome == FAIL
    assert out.message == "ETHICS.md has no post-development section."
    out = run_check("ethics_checklist_pre", {"ETHICS.md": "## Pre development\n\nWe care.\n"})
    assert out.outcome == FAIL
    assert "lists no questions" in out.message


def test_ethics_unanswered_question_followed_by_heading(run_check):
    text = (
        "## Pre-development\n\n### Is the data fair?\n\n### Who is harmed?\n\nNobody, we checked.\n"
    )
    out = run_check("ethics_checklist_pre", {"ETHICS.md": text})
    assert out.outcome == FAIL
    assert out.evidence["unanswered_lines"] == [3]
    assert out.message.endswith('(line 3: "Is the data fair?").')
    assert out.evidence["answered"] == 1


def test_ethics_missing_file_and_config(run_check):
    out = run_check("ethics_checklist_pre", {"README.md": "x"})
    assert out.outcome == FAIL
    assert out.message == "No AI-ethics checklist was found."
    assert "'## Pre-development questions'" in out.fix
    files = {".mltrl.toml": toml(ethics_checklist="gov/ethics.md"), "gov/ethics.md": ETHICS}
    assert run_check("ethics_checklist_pre", files).outcome == PASS
