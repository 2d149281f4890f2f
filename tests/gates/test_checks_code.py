"""Code checks on real repositories: experiments, tests, integration tests, CI,
notebooks, prediction logging."""

from __future__ import annotations

import pytest

from gates.models import CheckOutcome

PASS, FAIL = CheckOutcome.PASS, CheckOutcome.FAIL


# --- experiment_records ---------------------------------------------------------------


@pytest.mark.parametrize(
    "files,kind",
    [
        ({"configs/baseline.yaml": "lr: 0.1\n"}, "config files"),
        ({"src/config/model/small.toml": "x = 1\n"}, "config files"),
        ({"experiments/2024-01/notes.md": "x"}, "experiment folders"),
        ({"mlruns/0/meta.yaml": "x"}, "MLflow runs"),
        ({"wandb/run-1/files/config.yaml": "x"}, "Weights & Biases runs"),
        ({"dvc.yaml": "stages: {}\n"}, "DVC pipelines"),
        ({"data/raw.csv.dvc": "outs: []\n"}, "DVC pipelines"),
        ({"params.yaml": "lr: 1\n"}, "parameter files"),
        ({"conf/db/postgres.yaml": "x: 1\n"}, "Hydra configs"),
    ],
)
def test_experiment_records_pass(run_check, files, kind):
    out = run_check("experiment_records", files)
    assert out.outcome == PASS
    assert out.evidence["kinds"] == [kind]
    assert out.evidence["paths"] == list(files)


def test_experiment_records_caps_evidence(run_check):
    files = {f"configs/run{n:02}.yaml": "x: 1\n" for n in range(30)}
    out = run_check("experiment_records", files)
    assert out.outcome == PASS
    assert out.message == "Experiment records found: config files (30 files)."
    assert len(out.evidence["paths"]) == 20
    assert out.evidence["count"] == 30


def test_experiment_records_count_files_of_each_kind(run_check):
    """One MLflow run is a folder of files: the message counts files, not runs."""
    run = "mlruns/0/5f1c"
    files = {f"{run}/meta.yaml": "run_id: 5f1c\n", f"{run}/params/lr": "0.1\n",
             f"{run}/metrics/acc": "1 0.9 0\n", "mlruns/0/meta.yaml": "name: Default\n",
             "dvc.yaml": "stages: {}\n", "params.yaml": "lr: 0.1\n"}  # fmt: skip
    out = run_check("experiment_records", files)
    assert out.message == (
        "Experiment records found: DVC pipelines (1 file), MLflow runs (4 files), "
        "parameter files (1 file)."
    )


def test_experiment_records_fail(run_check):
    out = run_check("experiment_records", {"src/train.py": "x", ".github/workflows/ci.yml": "x"})
    assert out.outcome == FAIL
    assert out.message == "No experiment configurations or tracked runs were found."
    assert "configs/baseline.yaml" in out.fix


def test_experiment_records_config_path(run_check):
    toml = '[paths]\nexperiments = "research/runs"\n'
    out = run_check("experiment_records", {".mltrl.toml": toml, "research/runs/a.json": "{}"})
    assert out.outcome == PASS
    assert out.evidence["paths"] == ["research/runs/a.json"]
    out = run_check("experiment_records", {".mltrl.toml": toml, "configs/a.yaml": "x"})
    assert out.outcome == FAIL
    assert "research/runs" in out.message


# --- tests_present --------------------------------------------------------------------

PY_TESTS = """import pytest

def test_one():
    pass

class TestModel:
    def test_two(self):
        pass

    async def test_three(self):
        pass

def helper_test():
    pass
"""


def test_tests_present_counts_functions_across_languages(run_check):
    files = {
        "tests/test_model.py": PY_TESTS,
        "pkg/io_test.py": "def test_io():\n    pass\n",
        "web/app.test.ts": "describe('x', () => {\n  it('works', () => {});\n  test(`b`, f);\n})",
        "svc/handler_test.go": "package svc\n\nfunc TestHandler(t *testing.T) {}\n",
        "tests/conftest.py": "def test_not_a_test_file(): pass\n",
        "node_modules/lib/x.test.js": "it('vendored', () => {});\n",
    }
    out = run_check("tests_present", files)
    assert out.outcome == PASS
    assert out.evidence["test_functions"] == 7
    assert out.evidence["files_with_tests"] == 4
    assert out.evidence["by_language"] == {"go": 1, "javascript": 1, "python": 2}
    assert {"path": "tests/test_model.py", "tests": 3} in out.evidence["files"]
    assert out.message == "7 test functions in 4 test files."


def test_tests_present_threshold(run_check):
    files = {
        "tests/test_a.py": "def test_a():\n    pass\n",
        ".mltrl.toml": "[thresholds]\nmin_test_functions = 5\n",
    }
    out = run_check("tests_present", files)
    assert out.outcome == FAIL
    assert out.message == "Only 1 test function found; at least 5 required."
    assert out.evidence["minimum"] == 5
    assert "def test_" in out.fix


def test_tests_present_no_tests(run_check):
    out = run_check("tests_present", {"src/model.py": "def test_like():\n    pass\n"})
    assert out.outcome == FAIL
    assert out.message == "The repository has no test files."
    out = run_check("tests_present", {"tests/test_x.py": "# nothing yet\n"})
    assert out.outcome == FAIL
    assert out.message == "1 test file found, but no test functions in them."


def test_tests_present_names_notebooks_in_a_tests_folder(run_check):
    cell = '{"cells": [{"cell_type": "code", "source": ["def test_shape():\\n", "    pass"]}]}'
    files = {"tests/test_model.ipynb": cell, "tests/test_data.ipynb": cell}
    out = run_check("tests_present", files)
    assert out.outcome == FAIL
    assert out.message == (
        "The repository has no test files. 2 notebooks in a tests folder "
        "(tests/test_data.ipynb, ...) are not collected as tests: test runners do not run "
        "notebooks."
    )
    assert out.evidence["test_notebooks"] == ["tests/test_data.ipynb", "tests/test_model.ipynb"]


# --- integration_tests ----------------------------------------------------------------


@pytest.mark.parametrize(
    "files,count",
    [
        ({"tests/integration/test_api.py": PY_TESTS}, 3),
        ({"tests/test_pipeline_integration.py": "def test_a():\n    pass\n"}, 1),
        ({"e2e/login.spec.ts": "test('logs in', async () => {});\n"}, 1),
        ({"cypress/e2e/home.cy.js": "it('loads', () => {});\n"}, 1),
        (
            {"tests/test_db.py": "@pytest.mark.integration\ndef test_db():\n  pass\n"},
            1,
        ),
        (
            {"store/db_test.go": "//go:build integration\n\npackage s\n\nfunc TestDB(t *T) {}\n"},
            1,
        ),
    ],
)
def test_integration_tests_pass(run_check, files, count):
    out = run_check("integration_tests", {**files, "tests/test_unit.py": "def test_u(): pass\n"})
    assert out.outcome == PASS
    assert out.evidence["test_functions"] == count


def test_integration_tests_fail(run_check):
    out = run_check("integration_tests", {"tests/test_unit.py": "def test_u(): pass\n"})
    assert out.outcome == FAIL
    assert out.message == "No integration or end-to-end tests were found."
    assert "tests/integration/" in out.fix
    out = run_check("integration_tests", {"tests/integration/test_api.py": "# later\n"})
    assert out.outcome == FAIL
    assert out.message == "1 integration test file found, but no test functions in them."
    assert out.evidence["integration_files"] == ["tests/integration/test_api.py"]


# --- ci_config ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,system",
    [
        (".github/workflows/tests.yml", "GitHub Actions"),
        (".github/workflows/lint.yaml", "GitHub Actions"),
        (".gitlab-ci.yml", "GitLab CI"),
        ("Jenkinsfile", "Jenkins"),
        (".circleci/config.yml", "CircleCI"),
        ("azure-pipelines.yml", "Azure Pipelines"),
        (".travis.yml", "Travis CI"),
        ("bitbucket-pipelines.yml", "Bitbucket Pipelines"),
        (".buildkite/pipeline.yml", "Buildkite"),
        (".drone.yml", "Drone"),
    ],
)
def test_ci_config_pass(run_check, path, system):
    out = run_check("ci_config", {path: "steps: []\n"})
    assert out.outcome == PASS
    assert out.evidence["systems"] == [system]
    assert out.message == f"CI is configured: {system}."


def test_ci_config_fail(run_check):
    files = {".github/workflows/empty.yml": "", "docs/.gitlab-ci.yml": "x", ".github/x.yml": "x"}
    out = run_check("ci_config", files)
    assert out.outcome == FAIL
    assert out.message == "No CI configuration was found."
    assert ".github/workflows/tests.yml" in out.fix


# --- not_only_notebooks ---------------------------------------------------------------


def test_not_only_notebooks(run_check):
    nb = '{"cells": [], "nbformat": 4}'
    out = run_check("not_only_notebooks", {"a.ipynb": nb, "b.ipynb": nb, "setup.py": "x"})
    assert out.outcome == FAIL
    assert out.message == "All code is in 2 notebooks; there are no source files."
    assert "src/<project>/" in out.fix
    assert out.evidence["notebooks"] == 2
    assert out.evidence["source_files"] == 0

    out = run_check("not_only_notebooks", {"a.ipynb": nb, "src/pkg/model.py": "x = 1\n"})
    assert out.outcome == PASS
    assert out.message == "1 source file besides 1 notebook."

    out = run_check("not_only_notebooks", {"analysis/fit.R": "x <- 1\n"})
    assert out.outcome == PASS
    assert out.message == "No notebooks; 1 source file."


def test_not_only_notebooks_ignores_empty_and_checkpoint_files(run_check):
    files = {
        "nb/a.ipynb": "{}",
        "nb/.ipynb_checkpoints/a-checkpoint.ipynb": "{}",
        "pkg/__init__.py": "",
    }
    out = run_check("not_only_notebooks", files)
    assert out.outcome == FAIL
    assert out.evidence["notebooks"] == 1


# --- prediction_logging ---------------------------------------------------------------


@pytest.mark.parametrize(
    "files,setting",
    [
        ({"serving/config.yaml": "model: x\nlog_predictions: true\n"}, "log_predictions"),
        (
            {"monitoring/settings.toml": "[tool.prediction_logging]\nsink = 's3'\n"},
            "prediction_logging",
        ),
        (
            {"monitoring/config.json": '{"prediction_logging": {"sink": "s3"}}'},
            "prediction_logging",
        ),
        ({"config/app.yml": "input_statistics:\n  window: 1h\n"}, "input_statistics"),
        (
            {"logging.yaml": "version: 1\nloggers:\n  predictions:\n    level: INFO\n"},
            "'predictions' logger",
        ),
        (
            {"logging.ini": "[loggers]\nkeys=root\n\n[logger_predictions]\nlevel=INFO\n"},
            "'predictions' logger",
        ),
        ({"app/serve.py": 'log = logging.getLogger("predictions")\n'}, "'predictions' logger"),
        ({"deploy.py": "cfg = DataCaptureConfig(enable_capture=True)\n"}, "'predictions' logger"),
    ],
)
def test_prediction_logging_pass(run_check, files, setting):
    out = run_check("prediction_logging", files)
    assert out.outcome == PASS, out.message
    path = next(iter(files))
    assert out.evidence["found"][0]["path"] == path
    assert out.evidence["found"][0]["setting"] == setting
    assert path in out.message


@pytest.mark.parametrize(
    "files",
    [
        {"serving/config.yaml": "log_predictions: false\n"},
        {"serving/config.yaml": "prediction_logging: off  # later\n"},
        {"app/serve.py": "# TODO: log_predictions = True\n"},
        {"notebooks/a.ipynb": '{"log_predictions": true}'},
        {"src/model.py": "def predict(x):\n    return x\n"},
        {"node_modules/x/config.json": '{"log_predictions": true}'},
    ],
)
def test_prediction_logging_fail(run_check, files):
    out = run_check("prediction_logging", files)
    assert out.outcome == FAIL
    assert out.message == "No prediction or input logging configuration was found."
    assert "'predictions' logger" in out.fix
