"""pinned_dependencies: the environment can be rebuilt exactly.

In this order:
1. a non-empty lock file anywhere outside vendored folders (poetry.lock,
   uv.lock, Pipfile.lock, pdm.lock, pixi.lock, conda-lock.yml,
   requirements*.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock,
   pnpm-lock.yaml, bun.lock(b), Cargo.lock, go.sum, Gemfile.lock,
   composer.lock, renv.lock, Manifest.toml) passes;
2. else requirements*.txt (and requirements/*.txt), conda environment*.yml
   and pyproject.toml ``[project]`` dependencies are read: every requirement
   must be pinned (``==``/``===`` without ``*``, ``--hash``, a VCS URL at a
   commit, a URL to an archive; conda ``name=version``). Local paths and
   ``-e .`` are the project itself and are skipped. Unpinned lines fail with
   their line numbers (credentials in URLs masked). Files that list no
   package at all fail.
3. a manifest without a lock (setup.py, Pipfile, package.json, Cargo.toml,
   go.mod, ...) fails; no declaration at all fails.
"""

from __future__ import annotations

import posixpath
import re
import tomllib

from .base import CheckContext, CheckOutput, failed, passed
from .common import VENDORED, basename, capped, check, plural

LOCK_NAMES = frozenset(
    [
        "poetry.lock",
        "uv.lock",
        "pipfile.lock",
        "pdm.lock",
        "pixi.lock",
        "conda-lock.yml",
        "conda-lock.yaml",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "cargo.lock",
        "go.sum",
        "gemfile.lock",
        "composer.lock",
        "renv.lock",
        "manifest.toml",
    ]
)
LOCK_PATTERN = re.compile(r"(\.conda-lock\.ya?ml|(^|/)requirements[\w.-]*\.lock)$", re.I)
REQUIREMENTS_FILE = re.compile(r"(^|/)(requirements[^/]*|requirements/[^/]+)\.txt$", re.I)
CONDA_FILE = re.compile(r"(^|/)(environment|conda)[\w.-]*\.ya?ml$", re.I)
MANIFESTS = frozenset(
    [
        "setup.py",
        "setup.cfg",
        "pipfile",
        "package.json",
        "cargo.toml",
        "go.mod",
        "description",
        "project.toml",
        "gemfile",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
    ]
)
PINNED = re.compile(r"^[A-Za-z0-9][\w.-]*(\[[^\]]*\])?\s*===?\s*[\w.!+-]+$")
CONDA_PINNED = re.compile(r"^([\w-]+::)?[A-Za-z0-9][\w.-]*\s*={1,2}\s*[\w.!+-]+(=[\w.*-]+)?$")
VCS_AT_COMMIT = re.compile(r"^(git|hg|svn|bzr)\+\S+@[0-9a-f]{7,40}(#\S*)?$", re.I)
ARCHIVE_URL = re.compile(r"^(https?|file)://\S+\.(whl|tar\.gz|tgz|zip|tar\.bz2)(#\S*)?$", re.I)
COMMENT = re.compile(r"(^|\s)#.*$")
CREDENTIALS = re.compile(r"//[^/@\s]+@")


def _requirement_pinned(req: str) -> bool | None:
    """True / False for a requirement, None for something that is not a third-party package."""
    req = req.split(";", 1)[0].strip() if " @ " not in req else req.strip()
    if req.startswith((".", "/", "file:")) and not ARCHIVE_URL.match(req):
        return None  # a local path: the project itself or a sibling package
    if " @ " in req:
        url = req.split(" @ ", 1)[1].split(";", 1)[0].strip()
        return bool(VCS_AT_COMMIT.match(url) or ARCHIVE_URL.match(url))
    if re.match(r"^(git|hg|svn|bzr)\+|^https?://", req, re.I):
        return bool(VCS_AT_COMMIT.match(req) or ARCHIVE_URL.match(req))
    return bool(PINNED.match(req) and "*" not in req)


def _logical_lines(text: str):
    """(first line number, line) with backslash continuations joined."""
    start, parts = 0, []
    for number, line in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


INCLUDE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)$")


def missing_includes(path: str, text: str, present: set[str]) -> list[tuple[int, str]]:
    """(line, target) of each ``-r``/``-c`` file a requirements file names that is not
    in the repository (pip resolves it beside the including file): pip would fail."""
    missing = []
    folder = posixpath.dirname(path)
    for number, raw in _logical_lines(text):
        include = INCLUDE.match(COMMENT.sub("", raw).strip())
        if include is None or "://" in include.group(1):
            continue
        target = posixpath.normpath(posixpath.join(folder, include.group(1)))
        if target not in present:
            missing.append((number, include.group(1)))
    return missing


def requirements_review(text: str) -> tuple[int, list[tuple[int, str]]]:
    """(number of package requirements, unpinned ones as (line, text)) of a requirements file."""
    total, unpinned = 0, []
    for number, raw in _logical_lines(text):
        line = COMMENT.sub("", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            option, _, value = line.partition(" ")
            if option in ("-e", "--editable"):
                verdict = _requirement_pinned(value.strip())
            else:
                continue  # -r, -c, --index-url, ...: not a package
        elif "--hash" in line:
            verdict = True
        else:
            verdict = _requirement_pinned(line.split(" --", 1)[0])
        if verdict is None:
            continue
        total += 1
        if not verdict:
            unpinned.append((number, line))
    return total, unpinned


def conda_review(text: str) -> tuple[int, list[tuple[int, str]]]:
    """The same for a conda environment file (its ``dependencies`` and nested ``pip`` list)."""
    total, unpinned = 0, []
    in_deps = False
    pip_indent: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = COMMENT.sub("", raw).rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_deps = line.startswith("dependencies:")
            pip_indent = None
            continue
        item = re.match(r"^\s*-\s+(.+)$", line)
        if not in_deps or not item:
            continue
        spec = item.group(1).strip().strip("\"'")
        if spec.rstrip(":") == "pip" and spec.endswith(":"):
            pip_indent = indent
            continue
        if pip_indent is not None and indent > pip_indent:
            verdict = _requirement_pinned(spec)
        elif spec == "pip":  # the installer of the pip: list, not a package the code uses
            pip_indent, verdict = None, None
        else:
            pip_indent = None
            verdict = bool(CONDA_PINNED.match(spec)) and "*" not in spec.split("=", 1)[1]
        if verdict is None:
            continue
        total += 1
        if not verdict:
            unpinned.append((number, spec))
    return total, unpinned


def pyproject_review(text: str) -> tuple[int, list[tuple[int, str]]] | None:
    """[project] dependencies of pyproject.toml; None when it declares none there."""
    try:
        project = tomllib.loads(text).get("project", {})
    except tomllib.TOMLDecodeError:
        return None
    reqs = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        reqs.extend(group)
    reqs = [r for r in reqs if isinstance(r, str)]
    if not reqs:
        return None
    lines = text.splitlines()
    unpinned = []
    for req in reqs:
        if _requirement_pinned(req) is False:
            number = next((n for n, line in enumerate(lines, 1) if req in line), 0)
            unpinned.append((number, req))
    return len(reqs), unpinned


@check("pinned_dependencies", "Pinned dependencies", level=3)
def pinned_dependencies(ctx: CheckContext) -> CheckOutput:
    """Dependencies are locked or pinned to exact versions, so builds are reproducible."""
    files = {p: e for p, e in ctx.files().items() if not VENDORED.search(p)}
    names = {p: basename(p).lower() for p in files}
    locks = sorted(
        p
        for p in files
        if (names[p] in LOCK_NAMES or LOCK_PATTERN.search(p)) and files[p].size != 0
    )
    if locks:
        return passed(
            f"Dependencies are locked ({', '.join(capped(locks, 3))}).",
            lock_files=capped(locks),
            count=len(locks),
        )
    declared = sorted(
        p
        for p in files
        if REQUIREMENTS_FILE.search(p)
        or (CONDA_FILE.search(p) and "lock" not in names[p])
        or names[p] == "pyproject.toml"
    )
    total, unpinned, readers, pyprojects = 0, [], [], []
    dangling: list[tuple[str, int, str]] = []  # (file, line, included file not there)
    present = set(ctx.files())
    for path, text in ctx.snapshot.iter_texts(declared):
        if names[path] == "pyproject.toml":
            review = pyproject_review(text)
            if review is None:
                if "dependencies" in text:  # e.g. [tool.poetry.dependencies]
                    pyprojects.append(path)
                continue
        elif CONDA_FILE.search(path):
            review = conda_review(text)
        else:
            review = requirements_review(text)
            dangling.extend(
                (path, n, target) for n, target in missing_includes(path, text, present)
            )
        readers.append(path)
        total += review[0]
        unpinned.extend(
            {"path": path, "line": n, "requirement": CREDENTIALS.sub("//***@", r)[:200]}
            for n, r in review[1]
        )
    evidence = {"declaration_files": capped(readers), "requirements": total}
    if dangling:
        path, line, target = dangling[0]
        return failed(
            f"{path} includes {target} (line {line}), which is not in the repository: "
            "'pip install -r' would fail.",
            f"Commit {target} next to {path}, or remove the include.",
            **evidence,
            missing_includes=capped({"path": p, "line": n, "includes": t} for p, n, t in dangling),
        )
    if unpinned:
        shown_lines = ", ".join(f"{u['path']}:{u['line']}" for u in unpinned[:5])
        return failed(
            f"{plural(len(unpinned), 'requirement')} of {total} "
            f"{'is' if len(unpinned) == 1 else 'are'} not pinned ({shown_lines}"
            f"{', ...' if len(unpinned) > 5 else ''}).",
            "Pin every requirement to an exact version ('numpy==1.26.4'), e.g. with "
            "'pip-compile' or 'uv pip compile', or commit a lock file (uv.lock, poetry.lock).",
            **evidence,
            unpinned=capped(unpinned),
            unpinned_count=len(unpinned),
        )
    if total:
        return passed(
            (
                f"All {plural(total, 'requirement')} in {', '.join(capped(readers, 3))} are pinned."
                if total > 1
                else f"The 1 requirement in {', '.join(capped(readers, 3))} is pinned."
            ),
            **evidence,
        )
    if readers:
        return failed(
            f"{', '.join(capped(readers, 3))} {'lists' if len(readers) == 1 else 'list'} no "
            "packages, and there is no lock file.",
            "List the project's dependencies pinned to exact versions in requirements.txt, "
            "or commit the lock file of your package manager (uv.lock, poetry.lock, ...).",
            **evidence,
        )
    manifests = sorted([p for p in files if names[p] in MANIFESTS] + pyprojects)
    if manifests:
        return failed(
            f"Dependencies are declared in {', '.join(capped(manifests, 3))} "
            "but not locked to exact versions.",
            "Commit the lock file of your package manager (uv.lock, poetry.lock, "
            "package-lock.json, Cargo.lock, go.sum), or a requirements.txt pinned with '=='.",
            manifests=capped(manifests),
        )
    return failed(
        "The repository declares no dependencies (no requirements.txt, pyproject.toml or "
        "lock file).",
        "Add requirements.txt listing every dependency pinned to an exact version "
        "(e.g. 'pip freeze > requirements.txt' from a clean environment), or a lock file.",
    )
