"""The catalog as a whole: keys match the default policy, metadata, catalog version,
robustness (empty repository, non-UTF-8 file names) and verdicts on 5,000 files
(their timings: benchmarks/catalog_5000.py)."""

from __future__ import annotations

import json

import pytest

from gates.checks import REGISTRY, catalog_version
from gates.checks.base import register, repository_checks
from gates.defaults import DEFAULT_POLICIES
from gates.models import CheckOutcome

from .conftest import check_context

POLICY_CHECKS = {
    key: int(policy["key"].split("-")[0]) for policy in DEFAULT_POLICIES for key in policy["checks"]
}
EXTERNAL = {"ci_unit_tests", "coverage", "golden_eval"}


def test_every_policy_check_is_registered_at_its_gate():
    assert set(POLICY_CHECKS) <= set(REGISTRY)
    for key, level in POLICY_CHECKS.items():
        assert REGISTRY[key].level == level, key


def test_every_registered_check_is_required_by_a_default_gate():
    assert set(REGISTRY) == set(POLICY_CHECKS)


def test_external_checks_are_not_run_on_the_repository():
    assert {c.key for c in REGISTRY.values() if c.external} == EXTERNAL
    assert not EXTERNAL & {c.key for c in repository_checks()}


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_check_has_a_title_and_description(key):
    check = REGISTRY[key]
    assert check.key == key
    assert check.title.strip() and check.title[0].isupper()
    assert len(check.description) > 20
    assert "\n" not in check.title


def test_catalog_version_changes_with_the_set_of_checks():
    before = catalog_version()
    assert catalog_version() == before

    @register("zz_temporary_check", "Temporary", level=9)
    def temporary(ctx):
        """Only for this test."""

    try:
        assert catalog_version() != before
    finally:
        del REGISTRY["zz_temporary_check"]
    assert catalog_version() == before


def test_registering_a_key_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register("licence", "Again", level=3)(lambda ctx: None)


def _run_all(snapshot) -> dict:
    ctx = check_context(snapshot)
    return {c.key: c.run(ctx) for c in repository_checks()}


def _storable(out) -> None:
    """What a CheckResult row needs: UTF-8 text, JSON evidence, a message that fits."""
    assert out.outcome in CheckOutcome.values
    assert 0 < len(out.message) <= 500
    json.dumps(out.evidence, ensure_ascii=False).encode("utf-8")
    (out.message + out.fix).encode("utf-8")
    if out.outcome == CheckOutcome.FAIL:
        assert out.fix


def test_empty_repository(repo_factory):
    outputs = _run_all(repo_factory({}))
    for out in outputs.values():
        _storable(out)
    passing = {k for k, o in outputs.items() if o.outcome == CheckOutcome.PASS}
    # An empty repository holds no code: not evidence of code outside notebooks.
    assert passing == {"no_secrets", "no_oversized_files"}


def test_non_utf8_file_names_do_not_crash(repo_factory):
    files = {
        b"caf\xe9.ipynb": "{}",
        b"src/mod\xff.py": 'API_TOKEN = "Zq8x1Wm4Rt7Yp2Lk"\n',
        b"tests/test_\xe9.py": "def test_a():\n    pass\n",
        b"configs/r\xe9sum\xe9.yaml": "lr: 1\n",
        b"docs/LICEN\xc7E": "MIT License\n",
        b"requirements-\xe9.txt": "numpy>=1\n",
        b"k\xe8.py": 'API_TOKEN = "Zq8x1Wm4Rt7Yp2Lk"\n',
        b"k\xe9.py": 'API_TOKEN = "Zq8x1Wm4Rt7Yp2Lk"\n',
        "README.md": "# x\n",
    }
    outputs = _run_all(repo_factory(files))
    for out in outputs.values():
        _storable(out)
    assert outputs["tests_present"].outcome == CheckOutcome.PASS
    assert outputs["tests_present"].evidence["files"] == [
        {"path": "tests/test_\\xe9.py", "tests": 1}
    ]
    secret = outputs["no_secrets"]
    assert secret.outcome == CheckOutcome.FAIL
    # each undecodable byte escaped: two names that differ in one never look alike
    assert [f["path"] for f in secret.evidence["findings"]] == [
        "k\\xe8.py",
        "k\\xe9.py",
        "src/mod\\xff.py",
    ]
    assert "k\\xe8.py:1" in secret.message
    assert (
        outputs["pinned_dependencies"].evidence["unpinned"][0]["path"] == "requirements-\\xe9.txt"
    )


GOOD_REPO = {
    "README.md": "# Yield\n\n## Purpose\n\nForecast crop yield for small farms a season ahead.\n\n"
    "## Usage\n\nCall yieldpred.predict(rows) with a list of field records.\n",
    "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, ...\n",
    "requirements.txt": "numpy==1.26.4\n",
    "configs/baseline.yaml": "lr: 0.1\n",
    ".github/workflows/ci.yml": "on: push\n",
    "src/yieldpred/model.py": "def predict(rows):\n    return rows\n",
    "tests/test_model.py": "def test_predict():\n    assert True\n",
    "tests/integration/test_pipeline.py": "def test_pipeline():\n    assert True\n",
    "docs/research-requirements.md": "1. The model shall forecast yield.\n\n"
    "## Verification and validation\n\nBacktest on the 2015-2023 seasons.\n",
    "docs/product-requirements.md": "R1: The service shall answer in 1 s.\n\n"
    "## V&V\n\nLoad test in staging before each release.\n",
    "DATASHEET.md": "".join(
        f"## {s}\n\nWritten.\n\n"
        for s in (
            "Motivation",
            "Composition",
            "Collection process",
            "Preprocessing",
            "Uses",
            "Distribution",
            "Maintenance",
        )
    ),
    "MODEL_CARD.md": "".join(
        f"## {s}\n\nWritten.\n\n"
        for s in (
            "Intended use",
            "Metrics",
            "Training data",
            "Limitations",
            "Ethical considerations",
        )
    ),
    "ETHICS.md": "## Pre-development\n\n- [x] Who could be harmed?\n\n"
    "## Post-development\n\n- [x] Is fairness monitored?\n",
    "openapi.yaml": "openapi: 3.0.0\n",
    "monitoring/config.yaml": "log_predictions: true\n",
    "docs/monitoring-plan.md": "".join(
        f"## {s}\n\nWritten.\n\n" for s in ("Data drift", "Data quality", "Skew", "Alerting")
    ),
    "docs/runbook.md": "## Fallback mode\n\nServe last season's mean.\n\n"
    "## Rollback\n\nRedeploy.\n",
}


def test_a_complete_repository_passes_every_check(repo_factory):
    outputs = _run_all(repo_factory(GOOD_REPO))
    failing = {k: o.message for k, o in outputs.items() if o.outcome != CheckOutcome.PASS}
    assert failing == {}


def catalog_files(count: int = 5000) -> dict[str, str]:
    """A repository of ``count`` files of five kinds plus ``GOOD_REPO`` (also used by
    benchmarks/catalog_5000.py)."""
    files: dict[str, str] = {}
    for n in range(count):
        folder = f"pkg{n % 50}"
        kind = n % 5
        if kind == 0:
            files[f"{folder}/tests/test_m{n}.py"] = (
                f"import pytest\n\n\ndef test_a{n}():\n    assert {n}\n\n\ndef test_b{n}():\n"
                "    token = get_token()\n    assert token\n"
            )
        elif kind == 1:
            files[f"{folder}/m{n}.py"] = (
                f'"""Module {n}."""\nKEY = "value"\n\n\ndef f{n}(x):\n    return x * {n}\n' * 5
            )
        elif kind == 2:
            files[f"{folder}/conf/c{n}.yaml"] = f"name: c{n}\nlr: 0.{n}\napi_key: ${{API_KEY}}\n"
        elif kind == 3:
            files[f"docs/{folder}/page{n}.md"] = (
                f"# Page {n}\n\nSome text about the password policy.\n" * 4
            )
        else:
            files[f"{folder}/data{n}.json"] = json.dumps({"id": n, "values": list(range(20))})
    files.update(GOOD_REPO)
    return files


def test_catalog_on_5000_files(repo_factory):
    files = catalog_files()
    repo = repo_factory.repo(files, bare=True)
    snapshot = repo_factory.snapshot(repo)
    ctx = check_context(snapshot)
    outputs = {check.key: check.run(ctx) for check in repository_checks()}
    # Timings live in benchmarks/catalog_5000.py; here: every check reads the whole
    # large tree and reaches the verdict the files call for.
    assert len(snapshot.entries()) == len(files)
    assert {k: o.outcome for k, o in outputs.items() if o.outcome != CheckOutcome.PASS} == {}
    assert "2002" in outputs["tests_present"].message  # 1,000 generated files x 2, + 2
    assert str(len(files)) in outputs["no_secrets"].message  # every text file scanned
