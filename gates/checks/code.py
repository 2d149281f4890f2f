"""Checks on the code and its tooling: tests, integration tests, CI, notebooks.

Experiment records are in ``gates.checks.experiments``.

Vendored folders (node_modules/, site-packages/, venv/, vendor/, third_party/)
never count as the project's own tests or code.

- tests_present: test files by name (test_*.py, *_test.py, tests.py;
  *.test|spec|cy.js/ts; *_test.go; *Test.java/kt; R test-*.R) and test
  functions in them (``def test...``, ``it('...'``/``test('...'``, ``func Test``,
  ``@Test``, ``test_that(``), read in one stream; at least
  ``min_test_functions``.
- integration_tests: those test files whose path says integration, e2e,
  end-to-end or cypress/, plus test files marked ``pytest.mark.integration``
  or built with the Go ``integration`` tag; at least one test function.
- ci_config: GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure Pipelines,
  Travis, Bitbucket Pipelines, Buildkite, Drone, Woodpecker (non-empty files).
- not_only_notebooks: passes when there is at least one source file outside
  notebooks (``SOURCE_EXTENSIONS``); fails when all code is in notebooks, and
  when there is no code at all (documents only are not evidence of code).
  Empty files, setup.py, noxfile.py, conftest.py, files under docs/ or
  _static/ (documentation builds) and .ipynb_checkpoints/ do not count.
"""

from __future__ import annotations

import re
from collections import Counter

from .base import CheckContext, CheckOutput, failed, passed
from .common import VENDORED, basename, capped, check, plural, suffix


def own_files(ctx: CheckContext) -> list[str]:
    """The repository's own regular files, vendored folders left out, sorted."""
    return sorted(p for p in ctx.files() if not VENDORED.search(p))


# --- tests ----------------------------------------------------------------------------

TEST_FILES: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"(^|/)(test_[^/]*|[^/]*_test|tests)\.py$", re.I),
    "javascript": re.compile(r"\.(test|spec|cy)\.(js|jsx|ts|tsx|mjs|cjs)$", re.I),
    "go": re.compile(r"_test\.go$"),
    "java": re.compile(r"(^|/)[^/]*Tests?\.(java|kt)$"),
    "r": re.compile(r"(^|/)test[-_][^/]*\.r$", re.I),
}
TEST_FUNCTIONS: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(", re.M),
    "javascript": re.compile(r"(?<![\w.$])(?:it|test)(?:\.only)?[ \t]*\([ \t]*['\"`]"),
    "go": re.compile(r"^func[ \t]+Test\w*[ \t]*\(", re.M),
    "java": re.compile(r"@Test\b"),
    "r": re.compile(r"\btest_that[ \t]*\("),
}
INTEGRATION_PATH = re.compile(
    r"integration|(^|[/_.-])e2e([/_.-]|$)|end[-_]?to[-_]?end|end2end|(^|/)cypress/", re.I
)
INTEGRATION_MARK = re.compile(
    r"pytest\.mark\.integration|^//go:build[^\n]*\bintegration\b|^// \+build[^\n]*\bintegration\b",
    re.M,
)


TEST_NOTEBOOK = re.compile(r"(^|/)tests?/(.+/)?[^/]+\.ipynb$", re.I)


def find_test_files(ctx: CheckContext) -> dict[str, str]:
    """Test file path -> language, vendored folders excluded (once per run)."""

    def build() -> dict[str, str]:
        out = {}
        for path in own_files(ctx):
            for language, pattern in TEST_FILES.items():
                if pattern.search(path):
                    out[path] = language
                    break
        return out

    return ctx.memo("test_files", build)


def count_tests(ctx: CheckContext, files: dict[str, str], *, integration: bool = False):
    """Test functions per file; with ``integration``, only integration ones.

    Each test file's facts (functions, integration mark) are read once per blob.
    """
    facts = ctx.file_facts(
        "tests:v1",
        files,
        lambda path, text: [
            len(TEST_FUNCTIONS[files[path]].findall(text)),
            bool(INTEGRATION_MARK.search(text)),
        ],
    )
    counts: dict[str, int] = {}
    for path, fact in facts.items():
        if fact is None:  # binary or too large to read
            continue
        n, marked = fact
        if integration and not INTEGRATION_PATH.search(path) and not marked:
            continue
        if n:
            counts[path] = n
    return counts


def _test_evidence(files: dict[str, str], counts: dict[str, int]) -> dict:
    languages = Counter(files[p] for p in counts)
    return {
        "test_files": len(files),
        "files_with_tests": len(counts),
        "test_functions": sum(counts.values()),
        "by_language": dict(sorted(languages.items())),
        "files": capped({"path": p, "tests": n} for p, n in sorted(counts.items())),
    }


@check("tests_present", "Tests present", level=3)
def tests_present(ctx: CheckContext) -> CheckOutput:
    """Automated tests exist: enough test functions in test files."""
    files = find_test_files(ctx)
    counts = count_tests(ctx, files)
    total = sum(counts.values())
    minimum = ctx.config.threshold("min_test_functions")
    evidence = {**_test_evidence(files, counts), "minimum": minimum}
    if total >= minimum and (total or minimum == 0):
        return passed(
            f"{plural(total, 'test function')} in {plural(len(counts), 'test file')}.", **evidence
        )
    if not files:
        notebooks = [p for p in ctx.find(TEST_NOTEBOOK) if not VENDORED.search(p)]
        message = "The repository has no test files."
        if notebooks:
            message += (
                f" {plural(len(notebooks), 'notebook')} in a tests folder "
                f"({notebooks[0]}{', ...' if len(notebooks) > 1 else ''}) "
                f"{'is' if len(notebooks) == 1 else 'are'} not collected as tests: test runners "
                "do not run notebooks."
            )
            evidence["test_notebooks"] = capped(notebooks)
    elif not total:
        message = f"{plural(len(files), 'test file')} found, but no test functions in them."
    else:
        message = f"Only {plural(total, 'test function')} found; at least {minimum} required."
    return failed(
        message,
        "Add unit tests (e.g. tests/test_model.py with 'def test_...' functions run by pytest) "
        "covering data loading, features and the model's behaviour.",
        **evidence,
    )


@check("integration_tests", "Integration tests", level=7)
def integration_tests(ctx: CheckContext) -> CheckOutput:
    """Integration or end-to-end tests exist (tests/integration/, e2e/, marked tests)."""
    files = find_test_files(ctx)
    counts = count_tests(ctx, files, integration=True)
    total = sum(counts.values())
    evidence = _test_evidence({p: files[p] for p in counts}, counts)
    if total:
        return passed(
            f"{plural(total, 'integration test')} in {plural(len(counts), 'file')}.", **evidence
        )
    named = [p for p in files if INTEGRATION_PATH.search(p)]
    message = (
        f"{plural(len(named), 'integration test file')} found, but no test functions in them."
        if named
        else "No integration or end-to-end tests were found."
    )
    return failed(
        message,
        "Add tests that exercise the system with its real dependencies under tests/integration/ "
        "(e.g. tests/integration/test_pipeline.py), or mark them with @pytest.mark.integration.",
        **{**evidence, "integration_files": capped(named)},
    )


# --- ci_config ------------------------------------------------------------------------

CI_SYSTEMS: dict[str, re.Pattern[str]] = {
    "GitHub Actions": re.compile(r"^\.github/workflows/[^/]+\.ya?ml$", re.I),
    "GitLab CI": re.compile(r"^\.gitlab-ci\.ya?ml$", re.I),
    "Jenkins": re.compile(r"^jenkinsfile$", re.I),
    "CircleCI": re.compile(r"^\.circleci/config\.ya?ml$", re.I),
    "Azure Pipelines": re.compile(r"^(azure-pipelines\.ya?ml|\.azure-pipelines/.+\.ya?ml)$", re.I),
    "Travis CI": re.compile(r"^\.travis\.ya?ml$", re.I),
    "Bitbucket Pipelines": re.compile(r"^bitbucket-pipelines\.ya?ml$", re.I),
    "Buildkite": re.compile(r"^\.buildkite/", re.I),
    "Drone": re.compile(r"^\.drone\.ya?ml$", re.I),
    "Woodpecker": re.compile(r"^(\.woodpecker\.ya?ml|\.woodpecker/.+\.ya?ml)$", re.I),
}


@check("ci_config", "CI configuration", level=3)
def ci_config(ctx: CheckContext) -> CheckOutput:
    """A continuous-integration configuration is committed."""
    found: dict[str, list[str]] = {}
    for path, entry in sorted(ctx.files().items()):
        for system, pattern in CI_SYSTEMS.items():
            # Only a CI file's size matters (reading it ties this result to that blob).
            if pattern.search(path) and entry.size != 0:
                found.setdefault(system, []).append(path)
    if not found:
        return failed(
            "No CI configuration was found.",
            "Add a CI pipeline that runs the tests on every push, e.g. "
            ".github/workflows/tests.yml (GitHub Actions) or .gitlab-ci.yml.",
            looked_for=[
                ".github/workflows/*.yml",
                ".gitlab-ci.yml",
                "Jenkinsfile",
                ".circleci/config.yml",
                "azure-pipelines.yml",
            ],
        )
    paths = [p for v in found.values() for p in v]
    return passed(
        f"CI is configured: {', '.join(found)}.",
        systems=list(found),
        paths=capped(paths),
        count=len(paths),
    )


# --- not_only_notebooks ---------------------------------------------------------------

SOURCE_EXTENSIONS = frozenset(
    [
        ".py",
        ".pyx",
        ".r",
        ".jl",
        ".scala",
        ".go",
        ".rs",
        ".ts",
        ".tsx",
        ".js",
        ".jsx",
        ".java",
        ".kt",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cu",
        ".cuh",
        ".m",
        ".swift",
        ".lua",
    ]
)
NOT_CODE = frozenset({"setup.py", "noxfile.py", "conftest.py"})
# Documentation builds (Sphinx conf.py, theme scripts) are not the project's code.
NOT_CODE_DIRS = re.compile(r"(^|/)(docs?|_static|site)/", re.I)


@check("not_only_notebooks", "Code not only in notebooks", level=3)
def not_only_notebooks(ctx: CheckContext) -> CheckOutput:
    """Code lives in source files, not only in Jupyter notebooks."""
    notebooks, sources = [], []
    for path, entry in ctx.files().items():
        if VENDORED.search(path) or "/.ipynb_checkpoints/" in f"/{path}":
            continue
        extension = suffix(path)
        if extension == ".ipynb":
            notebooks.append(path)
        elif (
            extension in SOURCE_EXTENSIONS
            and entry.size != 0
            and basename(path) not in NOT_CODE
            and not NOT_CODE_DIRS.search(path)
        ):
            sources.append(path)
    evidence = {
        "notebooks": len(notebooks),
        "source_files": len(sources),
        "notebook_paths": capped(sorted(notebooks), 10),
        "source_paths": capped(sorted(sources), 10),
    }
    if not notebooks and not sources:
        return failed(
            "The repository has no code: no source files and no notebooks.",
            "Commit the project's code (e.g. a package under src/<project>/ with the data "
            "loading, model and training), not only documents.",
            **evidence,
        )
    if notebooks and not sources:
        return failed(
            f"All code is in {plural(len(notebooks), 'notebook')}; there are no source files.",
            "Move the reusable code (data loading, features, model, training) out of the "
            "notebooks into a package such as src/<project>/ and import it from the notebooks.",
            **evidence,
        )
    if not notebooks:
        return passed(f"No notebooks; {plural(len(sources), 'source file')}.", **evidence)
    return passed(
        f"{plural(len(sources), 'source file')} besides {plural(len(notebooks), 'notebook')}.",
        **evidence,
    )
