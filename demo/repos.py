"""The demo's sample repositories: one small git repository per project, offline.

Each repository's history follows its project's story (``demo.stories``): one
commit per level step, adding what that gate's checks look for
(``demo.repo_files``); a second climb after a switchback revises that level's
document; an entry review lands everything up to its level in one commit.
Repositories live under ``MLTRL_GIT_FILE_ROOT`` (the only folder ``file://``
URLs may point into) and are built with the git CLI: ``git fast-import`` with
fixed authors and dates, so the same stories always give the same SHAs, then a
checkout so people can look around (and commit, and re-run the checks).
No network, no user or system git config.

``repos_ensure`` is idempotent: a repository whose history is already the
expected one is left alone; a demo repository with another history (an older
demo, or commits someone added) is rebuilt. A folder of the same name that the
demo did not build (no ``mltrl.demo`` in its git config) is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .people import PEOPLE
from .repo_files import Files, deliverables, drifted, readme_draft, rework, work_in_progress
from .steps import (
    DRIFTED,
    WIP_UNPINNED,
    Changes,
    Climb,
    Entry,
    Pause,
    Reject,
    Switchback,
    Waiting,
    Waived,
)
from .stories import Story

BRANCH = "main"
CI_CONFIG = ".github/workflows/ci.yml"
GOLDEN_SET = "eval/golden.yaml"
EPOCH = 1_673_254_800  # 2023-01-09 09:00 UTC: the demo's first commit
DAY = 86_400
COVERAGE_THRESHOLD = 80
MARKER = "mltrl.demo"  # git config key set in every repository the demo builds


class DemoRepoError(RuntimeError):
    """A sample repository could not be built (git failed, or the folder is someone else's)."""


MESSAGES = {
    1: "README: purpose of the project",
    2: "Experiments: baseline and candidate configs, first results",
    3: "Research requirements with verification and validation",
    4: "Package, unit tests, CI, licence and pinned requirements",
    5: "Datasheet and pre-development ethics checklist",
    6: "Product requirements, model card and interface docs",
    7: "OpenAPI spec of the scoring API",
    8: "Integration tests, golden set and prediction logging",
    9: "Monitoring plan, runbook and post-development ethics answers",
}


@dataclass(frozen=True)
class CiReport:
    """What CI posts for a commit (an external check result)."""

    key: str
    outcome: str
    message: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedCommit:
    message: str
    files: Files
    for_request: bool  # pinned by the next request of the story (in story order)
    ci_failures: tuple[tuple[str, str], ...] = ()  # (external check, CI's message)


@dataclass(frozen=True)
class DemoCommit:
    sha: str
    message: str
    for_request: bool
    ci: tuple[CiReport, ...]


@dataclass(frozen=True)
class DemoRepo:
    slug: str
    path: Path
    commits: tuple[DemoCommit, ...]

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    @property
    def head(self) -> str:
        return self.commits[-1].sha


def commit_plan(story: Story) -> list[PlannedCommit]:
    """The commits of a story's repository, oldest first (mirrors ``demo.seeder``'s steps)."""
    plan: list[PlannedCommit] = []
    level, delivered, reason, failures = 0, set(), "", ()

    def climb(target: int) -> None:
        if target in delivered:
            plan.append(
                PlannedCommit(
                    f"Revise level {target} after the switchback",
                    rework(story, target, reason),
                    True,
                    failures,
                )
            )
        else:
            plan.append(
                PlannedCommit(MESSAGES[target], deliverables(story, target), True, failures)
            )
            delivered.add(target)

    for step in story.steps:
        match step:
            case Climb(to=to):
                while level < to:
                    level += 1
                    climb(level)
            case Entry(to=to):
                files: Files = {}
                for target in range(1, to + 1):
                    files.update(deliverables(story, target))
                    delivered.add(target)
                plan.append(PlannedCommit("Wrapper, evaluation, requirements and CI", files, True))
                level = to
            case Switchback(to=to, reason=why):
                level, reason = to, why
            case Waived(check=check, failure=failure):
                failures = (*failures, (check, failure))
                level += 1
                climb(level)
            case Waiting() | Reject() | Changes():
                climb(level + 1)
            case Pause():
                pass
            case _:
                raise ValueError(f"Unknown story step {step!r}.")
    if WIP_UNPINNED in story.quirks:
        wip = work_in_progress(story)
        plan.append(PlannedCommit("WIP: package, tests and CI", wip, False, failures))
    if DRIFTED in story.quirks:
        plan.append(
            PlannedCommit(
                "Pause prediction logging during the log migration", drifted(story), False
            )
        )
    if not plan:
        plan.append(PlannedCommit("Notes and reading list", readme_draft(story), False))
    return plan


def ci_reports(
    story: Story, index: int, paths: set[str], failures: tuple[tuple[str, str], ...]
) -> tuple[CiReport, ...]:
    """What CI reports for a commit whose tree holds ``paths`` (nothing without CI)."""
    if CI_CONFIG not in paths:
        return ()
    passed = 40 + 12 * index + len(story.slug)
    reports = {
        "ci_unit_tests": CiReport(
            "ci_unit_tests", "pass", f"CI: {passed} unit tests passed.", {"passed": passed}
        ),
        "coverage": CiReport(
            "coverage",
            "pass",
            f"CI: line coverage 86% (threshold {COVERAGE_THRESHOLD}%).",
            {"percent": 86, "threshold": COVERAGE_THRESHOLD},
        ),
    }
    if GOLDEN_SET in paths:
        reports["golden_eval"] = CiReport(
            "golden_eval",
            "pass",
            "CI: golden-set F1 0.891, baseline 0.88 (tolerance 0.01).",
            {"metric": "f1", "value": 0.891, "baseline": 0.88},
        )
    for key, message in failures:
        percent = re.search(r"(\d+)%", message)
        details = {"percent": int(percent.group(1))} if percent else {}
        reports[key] = CiReport(key, "fail", message, details)
    return tuple(reports.values())


def _author(story: Story) -> str:
    person = next(p for p in PEOPLE if p.team == story.team and not p.roles)
    return f"{person.first_name} {person.last_name} <{person.username}@example.com>"


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "mltrl demo",
        "GIT_AUTHOR_EMAIL": "demo@example.com",
        "GIT_AUTHOR_DATE": f"@{EPOCH} +0000",
        "GIT_COMMITTER_NAME": "mltrl demo",
        "GIT_COMMITTER_EMAIL": "demo@example.com",
        "GIT_COMMITTER_DATE": f"@{EPOCH} +0000",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=False
    )
    if done.returncode != 0:
        raise DemoRepoError(f"git {' '.join(args)} failed in {cwd}: {done.stderr.decode()}")
    return done.stdout.decode()


def _data(text: str) -> bytes:
    payload = text.encode()
    return b"data %d\n%s\n" % (len(payload), payload)


def _stream(story: Story, plan: list[PlannedCommit]) -> bytes:
    author = _author(story).encode()
    start = EPOCH + zlib.crc32(story.slug.encode()) % 28 * DAY  # projects start apart
    out = bytearray()
    for n, planned in enumerate(plan, 1):
        when = start + n * 17 * DAY
        who = b"%s %d +0000\n" % (author, when)
        out += b"commit refs/heads/%s\nmark :%d\nauthor %s" % (BRANCH.encode(), n, who)
        out += b"committer " + who + _data(planned.message)
        if n > 1:
            out += b"from :%d\n" % (n - 1)
        for path, content in sorted(planned.files.items()):
            out += b"M 100644 inline %s\n" % path.encode() + _data(content)
    return bytes(out + b"done\n")


def _build(path: Path, story: Story, plan: list[PlannedCommit]) -> list[str]:
    path.mkdir(parents=True)
    _git(path, "init", "--quiet", "-b", BRANCH)
    # Check runs fetch with --filter=blob:limit=...; the serving side must allow it.
    _git(path, "config", "uploadpack.allowFilter", "true")
    _git(path, "config", MARKER, "true")
    _git(path, "fast-import", "--quiet", "--done", stdin=_stream(story, plan))
    _git(path, "reset", "--quiet", "--hard", BRANCH)
    return _history(path)


def _history(path: Path) -> list[str] | None:
    if not (path / ".git").is_dir():
        return None
    try:
        return _git(path, "rev-list", "--reverse", BRANCH).split()
    except DemoRepoError:
        return None


def _built_by_demo(path: Path) -> bool:
    try:
        return _git(path, "config", "--get", MARKER).strip() == "true"
    except DemoRepoError:
        return False


def repo_ensure(root: Path, story: Story) -> DemoRepo:
    """The story's repository under ``root``, built (or rebuilt) unless already as expected."""
    plan = commit_plan(story)
    target = root / story.slug
    staging = root / f".staging-{story.slug}"
    shutil.rmtree(staging, ignore_errors=True)
    expected = _build(staging, story, plan)
    if _history(target) == expected:
        shutil.rmtree(staging)
    else:
        if target.exists():
            if not _built_by_demo(target):
                shutil.rmtree(staging)
                raise DemoRepoError(
                    f"{target} exists but is not a demo repository; move it away "
                    "(or point MLTRL_GIT_FILE_ROOT elsewhere) and seed again."
                )
            shutil.rmtree(target)
        staging.rename(target)
    commits, paths = [], set()
    for n, (planned, sha) in enumerate(zip(plan, expected, strict=True)):
        paths |= set(planned.files)
        reports = ci_reports(story, n, paths, planned.ci_failures)
        commits.append(DemoCommit(sha, planned.message, planned.for_request, reports))
    return DemoRepo(story.slug, target, tuple(commits))


def repos_ensure(root: str | Path, stories: tuple[Story, ...]) -> dict[str, DemoRepo]:
    """Every story's repository under ``root`` (created when missing), by project slug."""
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return {story.slug: repo_ensure(root, story) for story in stories}
