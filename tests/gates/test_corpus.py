"""The checks on a corpus of repositories shaped like public ML repositories.

Sixteen kinds (tests/gates/corpus_repos*.py): paper training code, a toolbox
with CI and tests, a library, released models with model and dataset cards,
MLOps projects with DVC and MLflow, notebook-only research, documents only,
monorepos, experiment trackers, a template. Every repository is built with
the git CLI, linked to a project and checked by the real engine
(``check_run_execute``: fetch, every check, results and the evidence level in
the database). ``EXPECTED`` was written by hand, before the first run: the
outcome of every repository check (P pass, W warn, F fail) and the evidence
level. The test prints a confusion table and fails on any mismatch.
"""

from __future__ import annotations

import pytest

from gates.checks.base import repository_checks
from gates.engine import check_run_execute
from gates.runs import check_run_request
from projects import services
from tests.gitrepo import make_repo
from tests.gitserver import allow_loopback
from tests.org import admin_actor

from .corpus_repos import CORPUS_A
from .corpus_repos_more import CORPUS_B

CORPUS = {**CORPUS_A, **CORPUS_B}

COLUMNS = {
    "rp": "readme_purpose",
    "ex": "experiment_records",
    "rr": "research_requirements",
    "tp": "tests_present",
    "ci": "ci_config",
    "li": "licence",
    "pd": "pinned_dependencies",
    "ns": "no_secrets",
    "no": "no_oversized_files",
    "nn": "not_only_notebooks",
    "ds": "datasheet",
    "ep": "ethics_checklist_pre",
    "pr": "product_requirements",
    "mc": "model_card",
    "id": "interface_docs",
    "ad": "api_docs",
    "it": "integration_tests",
    "pl": "prediction_logging",
    "mp": "monitoring_plan",
    "rb": "runbook",
    "eo": "ethics_checklist_post",
}

EXPECTED = """
repository            | rp ex rr tp ci li pd ns no nn ds ep pr mc id ad it pl mp rb eo | level
nano-training-code    | P  P  F  F  F  P  F  P  P  P  F  F  F  F  F  F  F  F  F  F  F  | 2
detection-toolbox     | P  P  F  P  P  P  F  P  P  P  F  F  F  F  F  P  F  F  F  F  F  | 2
tabular-library       | P  F  F  P  P  P  P  P  P  P  F  F  F  F  P  P  P  F  F  F  F  | 1
hf-released-model     | P  P  F  F  F  F  F  P  P  F  F  F  F  P  F  F  F  F  F  F  F  | 2
hf-trainer-autocard   | P  P  F  F  F  F  F  P  P  F  F  F  F  F  F  F  F  F  F  F  F  | 2
hf-dataset-card       | P  F  F  F  F  F  F  P  P  P  P  F  F  F  F  F  F  F  F  F  F  | 1
dvc-pipeline          | P  P  F  F  P  F  P  P  P  P  F  F  F  F  F  F  F  F  F  F  F  | 2
mlflow-project        | F  P  F  F  F  F  P  P  P  P  F  F  F  F  F  F  F  F  F  F  F  | 0
notebook-research     | P  F  F  F  F  P  F  F  P  F  W  F  F  F  F  F  F  F  F  F  F  | 1
documents-only        | P  F  P  F  F  P  F  P  P  F  F  P  F  F  F  F  F  F  F  F  P  | 1
platform-monorepo     | P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  P  | 6
group-monorepo-kaggle | P  P  P  P  P  P  P  F  P  P  F  F  F  F  F  F  F  F  F  F  F  | 3
paper-badges-rule     | P  P  P  P  P  P  P  P  P  P  P  F  F  F  F  F  F  F  F  F  F  | 4
lightning-tensorboard | P  P  P  P  P  P  F  P  P  P  F  F  F  F  F  F  F  F  F  F  F  | 3
wandb-sweeps          | P  P  F  F  F  P  F  F  P  P  F  F  F  F  F  F  F  F  F  F  F  | 2
hydra-template        | P  P  P  P  P  P  P  P  P  P  F  F  F  F  F  F  F  F  F  F  F  | 4
"""
OUTCOME = {"P": "pass", "W": "warn", "F": "fail"}


def parse_expected() -> dict[str, tuple[dict[str, str], int]]:
    lines = [line for line in EXPECTED.strip().splitlines()]
    header = lines[0].split("|")[1].split()
    covered = {COLUMNS[c] for c in header}
    assert covered == {c.key for c in repository_checks()}, "the table covers every check"
    table = {}
    for line in lines[1:]:
        name, cells, level = (part.strip() for part in line.split("|"))
        outcomes = dict(zip((COLUMNS[c] for c in header), cells.split(), strict=True))
        table[name] = ({k: OUTCOME[v] for k, v in outcomes.items()}, int(level))
    return table


def test_expectations_cover_the_whole_corpus():
    table = parse_expected()
    assert set(table) == set(CORPUS)
    assert len(CORPUS) >= 15


def confusion(expected: dict, actual: dict) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Per check: right, false pass (expected fail), false fail (expected pass/warn), and
    other (pass vs warn, or an error)."""
    table = {
        key: {"right": 0, "false pass": 0, "false fail": 0, "other": 0} for key in COLUMNS.values()
    }
    wrong = []
    for name, (outcomes, _level) in expected.items():
        for key, want in outcomes.items():
            got = actual[name][key]
            if got == want:
                cell = "right"
            elif want == "fail" and got in ("pass", "warn"):
                cell = "false pass"
            elif want in ("pass", "warn") and got == "fail":
                cell = "false fail"
            else:
                cell = "other"
            table[key][cell] += 1
            if cell != "right":
                wrong.append(f"{name}: {key} expected {want}, got {got}")
    return table, wrong


@pytest.mark.django_db
def test_corpus_outcomes_and_evidence_levels(settings, tmp_path, capsys):
    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    settings.MLTRL_RUN_HEARTBEAT_S = 60
    expected = parse_expected()
    admin = admin_actor()
    team = services.team_create(slug="corpus", name="Corpus", actor=admin)
    actual: dict[str, dict[str, str]] = {}
    messages: dict[str, dict[str, str]] = {}
    levels: dict[str, int] = {}
    for name, files in CORPUS.items():
        repo = make_repo(tmp_path / "repos", files, name=name, bare=True)
        project = services.project_create(
            team=team, slug=name, name=name, repository_url=f"file://{repo}", actor=admin
        )
        run = check_run_request(project=project, trigger="manual", actor=admin)
        check_run_execute(run.pk)
        run.refresh_from_db()
        assert run.status == "succeeded", (name, run.message)
        actual[name] = dict(run.results.values_list("check_key", "outcome"))
        messages[name] = dict(run.results.values_list("check_key", "message"))
        project.refresh_from_db()
        levels[name] = project.evidence_level
    table, wrong = confusion(expected, actual)
    level_wrong = [
        f"{name}: evidence level expected {want}, got {levels[name]}"
        for name, (_o, want) in expected.items()
        if levels[name] != want
    ]
    with capsys.disabled():
        print("\ncheck                  right  false-pass  false-fail  other")
        for key, row in table.items():
            print(
                f"{key:22} {row['right']:5}  {row['false pass']:10}  {row['false fail']:10}"
                f"  {row['other']:5}"
            )
        right_levels = len(expected) - len(level_wrong)
        print(f"evidence level         {right_levels:5} of {len(expected)} right")
    details = [f"{line} ({messages[line.split(':')[0]][line.split()[1]]})" for line in wrong]
    assert not wrong and not level_wrong, "\n".join(details + level_wrong)
