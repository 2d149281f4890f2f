"""Document checks on real repositories: README, requirements, datasheet, model card,
monitoring plan, runbook (interface/API docs and the ethics checklist are in
test_checks_interfaces_ethics.py)."""

from __future__ import annotations

import pytest

from gates.models import CheckOutcome

PASS, WARN, FAIL = CheckOutcome.PASS, CheckOutcome.WARN, CheckOutcome.FAIL

LONG = (
    "This project predicts crop yield from satellite imagery so that small farmers "
    "can plan planting and harvest ahead of the season."
)


def toml(**paths) -> str:
    return "[paths]\n" + "".join(f'{k} = "{v}"\n' for k, v in paths.items())


# --- readme_purpose -------------------------------------------------------------------


def test_readme_purpose_heading(run_check):
    out = run_check(
        "readme_purpose",
        {"README.md": "# Yield\n\n## Purpose\n\nWe forecast crop yield for small farms.\n"},
    )
    assert out.outcome == PASS
    assert out.evidence["path"] == "README.md"
    assert out.evidence["heading"] == "Purpose"
    assert out.evidence["line"] == 3


def test_readme_purpose_first_paragraph_after_title_and_badges(run_check):
    text = "Yield\n=====\n\n[![CI](https://x/badge.svg)](https://x)\n\n" + LONG + "\n"
    out = run_check("readme_purpose", {"README.rst": text})
    assert out.outcome == PASS
    assert out.evidence["first_paragraph_words"] >= 15
    assert out.evidence["first_paragraph_line"] == 6


def test_readme_purpose_fails_on_short_readme(run_check):
    out = run_check("readme_purpose", {"README.md": "# yield\n\nA tool.\n\n## Install\n\npip i\n"})
    assert out.outcome == FAIL
    assert "README.md does not say what the project is for" in out.message
    assert "2 words" in out.message
    assert out.fix == (
        "Add a '## Purpose' section to README.md saying what problem this project solves."
    )
    assert out.evidence["heading"] is None


def test_readme_purpose_empty_purpose_section_does_not_count(run_check):
    out = run_check(
        "readme_purpose", {"README.md": "# X\n\n## Purpose\n\nTBD\n\n## Usage\n\nrun\n"}
    )
    assert out.outcome == FAIL


def test_readme_purpose_heading_inside_code_fence_does_not_count(run_check):
    text = "# X\n\n```\n## Purpose\n" + LONG + "\n```\n"
    out = run_check("readme_purpose", {"README.md": text})
    assert out.outcome == FAIL


def test_readme_purpose_missing_and_case_insensitive_name(run_check):
    out = run_check("readme_purpose", {"docs/README.md": "## Purpose\n\n" + LONG})
    assert out.outcome == FAIL
    assert out.message == "The repository has no README at its root."
    assert "Add README.md at the root" in out.fix
    out = run_check("readme_purpose", {"readme.MD": "## Goal\n\n" + LONG})
    assert out.outcome == PASS
    assert out.evidence["path"] == "readme.MD"


def test_readme_purpose_config_path(run_check):
    files = {
        ".mltrl.toml": toml(readme="docs/OVERVIEW.md"),
        "docs/overview.md": "## About\n" + LONG,
    }
    out = run_check("readme_purpose", files)
    assert out.outcome == PASS
    assert out.evidence["path"] == "docs/overview.md"
    # When the config names a document, only that document counts.
    files = {".mltrl.toml": toml(readme="docs/missing.md"), "README.md": "## Purpose\n" + LONG}
    out = run_check("readme_purpose", files)
    assert out.outcome == FAIL
    assert "[paths] names docs/missing.md" in out.message
    assert "Fix [paths] readme" in out.fix


def test_readme_symlink_is_never_read(run_check, tmp_path):
    secret_target = tmp_path / "outside.md"
    secret_target.write_text("## Purpose\n\nUNIQUEWORD " + LONG + "\n")
    out = run_check(
        "readme_purpose",
        {"docs/real.md": "## Purpose\n\n" + LONG},
        symlinks={"README.md": str(secret_target), "README.rst": "/etc/passwd"},
    )
    assert out.outcome == FAIL
    assert out.message == "The repository has no README at its root."
    assert "UNIQUEWORD" not in repr(out)


def test_symlinked_document_via_config_is_not_found(repo_factory):
    from gates.checks import REGISTRY

    from .conftest import check_context

    snap = repo_factory(
        {".mltrl.toml": toml(readme="README.md"), "docs/real.md": "## Purpose\n" + LONG},
        {"README.md": "docs/real.md"},
    )
    assert snap.entries()["README.md"].is_symlink
    assert snap.read_text("README.md") is None
    out = REGISTRY["readme_purpose"].run(check_context(snap))
    assert out.outcome == FAIL
    assert "not a file here" in out.message


# --- research / product requirements --------------------------------------------------

REQUIREMENTS = """# Requirements

1. The model shall detect anomalies within 5 minutes.
R2: The system shall log every prediction.
- **REQ-3** The pipeline shall reject malformed rows.
| R4 | The API shall answer in 200 ms. |
The team shall meet weekly.

## Verification and validation

Each requirement is verified by an automated test in tests/.
"""


@pytest.mark.parametrize(
    "key,path",
    [
        ("research_requirements", "docs/research-requirements.md"),
        ("research_requirements", "REQUIREMENTS.md"),
        ("product_requirements", "docs/product-requirements.md"),
        ("product_requirements", "PRD.md"),
    ],
)
def test_requirements_pass(run_check, key, path):
    out = run_check(key, {path: REQUIREMENTS})
    assert out.outcome == PASS, out.message
    assert out.evidence["path"] == path
    assert out.evidence["shall_statements"] == 4
    assert out.evidence["shall_lines"] == [3, 4, 5, 6]
    assert out.evidence["unnumbered_shall_lines"] == 1
    assert out.evidence["vv_heading"] == "Verification and validation"
    assert out.evidence["vv_line"] == 9


@pytest.mark.parametrize("key", ["research_requirements", "product_requirements"])
def test_requirements_fail_unnumbered_and_no_vv(run_check, key):
    doc = "# Requirements\n\nThe model shall work.\nIt shall be fast.\n"
    path = "REQUIREMENTS.md" if key == "research_requirements" else "PRD.md"
    out = run_check(key, {path: doc})
    assert out.outcome == FAIL
    assert out.message == (
        f"{path} has 0 numbered shall statements (2 unnumbered ones), at least 1 required "
        "and has no verification and validation (V&V) section."
    )
    assert "number each requirement" in out.fix
    assert "'## Verification and validation'" in out.fix
    assert out.evidence["vv_heading"] is None


def test_requirements_threshold_from_config(run_check):
    doc = "1. It shall a.\n2. It shall b.\n\n## V&V\n\nTested by the suite nightly.\n"
    files = {"REQUIREMENTS.md": doc, ".mltrl.toml": "[thresholds]\nmin_shall_statements = 3\n"}
    out = run_check("research_requirements", files)
    assert out.outcome == FAIL
    assert "has 2 numbered shall statements, at least 3 required" in out.message
    assert out.evidence["vv_heading"] == "V&V"


def test_requirements_empty_vv_section(run_check):
    doc = "1. It shall a.\n\n## Validation\n\n## Other\n\ntext here and more\n"
    out = run_check("research_requirements", {"REQUIREMENTS.md": doc})
    assert out.outcome == FAIL
    assert "empty verification and validation section" in out.message


def test_requirements_txt_is_not_a_requirements_document(run_check):
    out = run_check("research_requirements", {"requirements.txt": "numpy==1.26.4\n"})
    assert out.outcome == FAIL
    assert out.message == "No research requirements document was found."
    assert "docs/research-requirements.md" in out.fix
    assert "requirements.txt" not in out.evidence["looked_for"]


def test_requirements_config_path(run_check):
    files = {".mltrl.toml": toml(product_requirements="spec/prd.rst"), "spec/prd.rst": REQUIREMENTS}
    assert run_check("product_requirements", files).outcome == PASS


# --- datasheet, model card, monitoring plan, runbook ----------------------------------


def doc(*titles: str, body: str = "Some words describing this part.") -> str:
    return "# Document\n\n" + "".join(f"## {t}\n\n{body}\n\n" for t in titles)


DATASHEET_ALL = (
    "Motivation",
    "Composition",
    "Collection process",
    "Preprocessing, cleaning and labeling",
    "Uses",
    "Distribution",
    "Maintenance",
)


def test_datasheet_pass(run_check):
    out = run_check("datasheet", {"DATASHEET.md": doc(*DATASHEET_ALL)})
    assert out.outcome == PASS
    assert out.evidence["missing"] == []
    assert out.evidence["sections"]["Uses"] == {"heading": "Uses", "line": 19, "alias": "uses"}


def test_datasheet_warns_with_two_missing(run_check):
    out = run_check("datasheet", {"data/README.md": doc(*DATASHEET_ALL[:5])})
    assert out.outcome == WARN
    assert out.message == (
        "data/README.md covers 5 of 7 datasheet sections; missing: Distribution, Maintenance."
    )
    assert "'## Distribution', '## Maintenance'" in out.fix
    assert out.evidence["missing"] == ["Distribution", "Maintenance"]


def test_datasheet_fails_with_three_missing_and_empty_counts_as_missing(run_check):
    text = doc(*DATASHEET_ALL[:4]) + "## Uses\n\n## Other\n\nwords words\n"
    out = run_check("datasheet", {"docs/Datasheet.md": text})
    assert out.outcome == FAIL
    assert out.message == (
        "docs/Datasheet.md lacks datasheet sections: Uses (empty), Distribution, Maintenance."
    )
    assert "'## Uses'" in out.fix


def test_datasheet_missing(run_check):
    out = run_check("datasheet", {"README.md": "x"})
    assert out.outcome == FAIL
    assert out.message == "No datasheet was found."
    assert "Add DATASHEET.md with the sections Motivation, Composition" in out.fix
    assert "DATASHEET.md" in out.evidence["looked_for"]


def test_model_card_pass_huggingface_style(run_check):
    text = doc(
        "Uses",
        "Training Data",
        "Evaluation",
        "Metrics",
        "Bias, Risks, and Limitations",
        "Ethical considerations",
    )
    out = run_check("model_card", {"MODEL_CARD.md": text})
    assert out.outcome == PASS, out.message


def test_model_card_restructuredtext(run_check):
    titles = ("Intended use", "Metrics", "Training data", "Limitations", "Ethical considerations")
    text = "==========\nModel card\n==========\n\n" + "".join(
        f"{t}\n{'~' * len(t)}\n\nWritten down.\n\n" for t in titles
    )
    out = run_check("model_card", {"docs/model_card.rst": text})
    assert out.outcome == PASS, out.message
    assert out.evidence["sections"]["Limitations"] == {
        "heading": "Limitations",
        "line": 20,
        "alias": "limitations",
    }


def test_model_card_fail_lists_missing(run_check):
    out = run_check("model_card", {"docs/model-card.md": doc("Intended use", "Metrics")})
    assert out.outcome == FAIL
    assert out.message == (
        "docs/model-card.md lacks model card sections: Training and evaluation data, "
        "Limitations, Ethical considerations."
    )
    assert "Mitchell et al." in out.fix


def test_model_card_config_path(run_check):
    files = {".mltrl.toml": toml(model_card="cards/model.md"), "MODEL_CARD.md": "x"}
    out = run_check("model_card", files)
    assert out.outcome == FAIL
    assert out.evidence == {"configured": "cards/model.md"}


def test_monitoring_plan(run_check):
    full = doc("Data drift", "Data quality", "Training-serving skew", "Alerting and on-call")
    assert run_check("monitoring_plan", {"MONITORING.md": full}).outcome == PASS
    out = run_check("monitoring_plan", {"docs/monitoring-plan.md": doc("Data drift")})
    assert out.outcome == FAIL
    assert out.evidence["missing"] == ["Data quality", "Training-serving skew", "Alerting"]


def test_runbook(run_check):
    ok = doc("Fallback mode", "Rollback")
    assert run_check("runbook", {"docs/runbook.md": ok}).outcome == PASS
    out = run_check("runbook", {"RUNBOOK.md": doc("Incident response")})
    assert out.outcome == FAIL
    assert out.message == "RUNBOOK.md lacks runbook sections: Fallback mode."
    assert out.fix.startswith("Add 1 section to RUNBOOK.md: '## Fallback mode'")
