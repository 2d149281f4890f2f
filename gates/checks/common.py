"""Helpers the catalog's checks share: registration, finding documents, reading outlines.

- ``check`` registers a repository check and makes its output storable: in
  file names that are not UTF-8 (git paths are decoded with ``surrogateescape``)
  each undecodable byte is shown escaped (``caf\\xe9.md``: two such names never
  look alike, and the byte can be found), and the message is cut to the 500
  characters a ``CheckResult`` holds.
- ``locate`` finds a document: the ``[paths]`` entry of ``.mltrl.toml`` when
  set (then only that path counts), else the first conventional name present,
  compared case-insensitively.
- ``sectioned_document`` is a whole check for "document X with sections Y":
  missing document, configured path absent, sections missing (fail, or warn
  when at most ``warn_up_to`` are missing).
- ``outline`` reads headings of Markdown (ATX ``#``, setext), reStructuredText
  (underlined titles) and whole-line bold pseudo-headings, skipping fenced code
  and YAML front matter; ``Heading.body`` is the text up to the next heading of
  the same or a higher rank.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from .base import CheckContext, CheckOutput, failed, passed, register, warned

EVIDENCE_CAP = 20
MESSAGE_MAX = 500
DOC_EXTENSIONS = ("md", "markdown", "rst", "txt", "adoc")
# Third-party code committed with a project: its tests and manifests are not the project's.
VENDORED = re.compile(
    r"(^|/)(node_modules|site-packages|\.venv|venv|vendor|third_party|\.tox|\.git)/", re.I
)


def basename(path: str) -> str:
    """The last component of a tree path (string ops: pathlib is slow over 50,000 files)."""
    return path.rpartition("/")[2]


def suffix(path: str) -> str:
    """The lower-case extension of a tree path's last component, with its dot, or ''."""
    name = basename(path)
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def shown(text: str) -> str:
    """``text`` safe to store and display: each undecodable byte becomes ``\\xNN``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def check(key: str, title: str, *, level: int) -> Callable:
    """``register`` with outputs cleaned for storage (see the module docstring)."""

    def decorate(func: Callable[[CheckContext], CheckOutput]):
        @functools.wraps(func)
        def run(ctx: CheckContext) -> CheckOutput:
            out = func(ctx)
            message = shown(out.message)
            if len(message) > MESSAGE_MAX:
                message = message[: MESSAGE_MAX - 1] + "…"
            return replace(out, message=message, evidence=_clean(out.evidence), fix=shown(out.fix))

        register(key, title, level=level)(run)
        return func

    return decorate


def capped(items: Iterable[Any], limit: int = EVIDENCE_CAP) -> list[Any]:
    out = []
    for item in items:
        if len(out) >= limit:
            break
        out.append(item)
    return out


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def doc_names(*stems: str, extensions: Iterable[str] = DOC_EXTENSIONS) -> list[str]:
    """``docs/model-card`` -> docs/model-card.md, docs/model-card.markdown, ..."""
    return [f"{stem}.{ext}" for stem in stems for ext in extensions]


@dataclass(frozen=True)
class Located:
    path: str | None
    configured: str | None = None  # the [paths] value, when the config names the document

    @property
    def problem(self) -> str:
        """Why nothing was found, as the start of a failure message."""
        if self.configured:
            return f".mltrl.toml [paths] names {self.configured}, which is not a file here"
        return ""


def lower_index(ctx: CheckContext) -> dict[str, str]:
    """Lower-cased path -> real path, for regular files (first in sort order wins)."""

    def build() -> dict[str, str]:
        index: dict[str, str] = {}
        for path in sorted(ctx.files()):
            index.setdefault(path.lower(), path)
        return index

    return ctx.memo("lower_index", build)


def locate(ctx: CheckContext, path_key: str | None, candidates: Iterable[str]) -> Located:
    index = lower_index(ctx)
    configured = ctx.config.path(path_key) if path_key else None
    if configured:
        return Located(index.get(configured.lower()), configured)
    for name in candidates:
        if name.lower() in index:
            return Located(index[name.lower()])
    return Located(None)


# --- outlines -------------------------------------------------------------------------

ATX = re.compile(r"^ {0,3}(#{1,6})(?!#)[ \t]*([^#!\s].*?)[ \t]*#*[ \t]*$")
UNDERLINE = re.compile(r"^ {0,3}([=\-~^\"'`#*+:.])\1{2,}[ \t]*$")
BOLD_LINE = re.compile(r"^ {0,3}(?:\*\*|__)([^*_].*?)(?:\*\*|__):?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
LIST_OR_TABLE = re.compile(r"^\s*([-*+|>]|\d+[.)])\s")
WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")


@dataclass(frozen=True)
class Heading:
    line: int  # 1-based line number of the title
    level: int  # 1 (top) .. 7 (bold pseudo-heading)
    title: str
    start: int  # index of the first body line
    end: int = 0  # index after the last body line


@dataclass(frozen=True)
class Outline:
    lines: list[str]
    headings: list[Heading]

    def body(self, heading: Heading) -> str:
        return "\n".join(self.lines[heading.start : heading.end])

    def words(self, heading: Heading) -> int:
        return len(WORD.findall(self.body(heading)))

    def sections(self, bare_name: Callable[[str], bool] | None = None) -> list[Heading]:
        """The headings that may name a section, in the order to look at them.

        The document's title is not a section: its words name the project or the
        document ("# sentiment-api", "# Model Card for bias-detector") and its body
        is the whole document. So a first heading at level 1 is looked at last, and
        when it is the only one at that level (the title) only if ``bare_name``
        says the title is nothing but a section's name ("# Usage" over usage text).
        Documents whose sections are all level-1 headings ("# Motivation",
        "# Composition") keep every one.
        """
        headings = self.headings
        if not headings or headings[0].level != 1:
            return headings
        title, rest = headings[0], headings[1:]
        if any(h.level == 1 for h in rest) or (bare_name and bare_name(title.title)):
            return [*rest, title]
        return rest

    def find(self, pattern: re.Pattern[str], *, min_words: int = 1) -> tuple[Heading | None, bool]:
        """The first section (``sections``) whose title matches ``pattern`` and whose
        body has ``min_words``; (None, True) if only emptier ones match."""
        empty = False
        for heading in self.sections(lambda title: not WORD.findall(pattern.sub(" ", title))):
            if pattern.search(heading.title):
                if self.words(heading) >= min_words:
                    return heading, False
                empty = True
        return None, empty


def outline(text: str) -> Outline:
    lines = text.splitlines()
    found: list[tuple[int, int, str, int]] = []  # (index, level, title, body start)
    in_fence = False
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break
    underlines: set[int] = set()
    for i in range(start, len(lines)):
        line = lines[i]
        if i in underlines:  # checked first: an RST "~~~~" underline is not a code fence
            continue
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        m = ATX.match(line)
        if m:
            found.append((i, len(m.group(1)), m.group(2).strip(), i + 1))
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        u = UNDERLINE.match(nxt)
        if (
            u
            and line.strip()
            and not UNDERLINE.match(line)
            and not LIST_OR_TABLE.match(line)
            and (i == start or not lines[i - 1].strip() or UNDERLINE.match(lines[i - 1]))
        ):
            level = {"=": 1, "-": 2}.get(u.group(1), 3)
            found.append((i, level, line.strip(), i + 2))
            underlines.add(i + 1)
            continue
        b = BOLD_LINE.match(line)
        if b:
            found.append((i, 7, b.group(1).strip(), i + 1))
    headings = []
    for n, (index, level, title, body_start) in enumerate(found):
        end = next((f[0] for f in found[n + 1 :] if f[1] <= level), len(lines))
        headings.append(Heading(index + 1, level, title, min(body_start, end), end))
    return Outline(lines, headings)


def sections_report(
    doc: Outline, required: dict[str, re.Pattern[str]]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """For each required section: where it is (heading, line), and the names missing."""
    found: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    for name, pattern in required.items():
        heading, empty = doc.find(pattern)
        if heading is None:
            missing.append(f"{name} (empty)" if empty else name)
        else:
            found[name] = {"heading": heading.title, "line": heading.line}
    return found, missing


def rx(pattern: str) -> re.Pattern[str]:
    """A case-insensitive pattern for heading titles."""
    return re.compile(pattern, re.I)


def configured_path_missing(found, path_key: str) -> CheckOutput:
    """The failure when ``[paths] <path_key>`` in .mltrl.toml names no usable file."""
    return failed(
        f"{found.problem}.",
        f"Fix [paths] {path_key} in .mltrl.toml or add that file.",
        configured=found.configured,
    )


def sectioned_document(
    ctx: CheckContext,
    *,
    path_key: str,
    names: list[str],
    label: str,
    suggested: str,
    sections: dict[str, re.Pattern[str]],
    warn_up_to: int = 0,
    why: str = "",
) -> CheckOutput:
    """Find the document and its required sections; fail (or warn) listing what is missing."""
    found = locate(ctx, path_key, names)
    wanted = ", ".join(sections)
    if found.path is None:
        if found.configured:
            return configured_path_missing(found, path_key)
        return failed(
            f"No {label} was found.",
            f"Add {suggested} with the sections {wanted}{why}, "
            f"or set [paths] {path_key} in .mltrl.toml.",
            looked_for=capped(dict.fromkeys(n.rsplit(".", 1)[0] + ".md" for n in names), 8),
        )
    present, missing = sections_report(outline(ctx.text(found.path) or ""), sections)
    evidence = {"path": found.path, "sections": present, "missing": missing}
    if not missing:
        return passed(f"{found.path} has every {label} section ({wanted}).", **evidence)
    gaps = ", ".join(missing)
    fix = (
        f"Add {plural(len(missing), 'section')} to {found.path}: "
        + ", ".join(f"'## {m.removesuffix(' (empty)')}'" for m in missing)
        + f"{why}."
    )
    if len(missing) <= warn_up_to:
        return warned(
            f"{found.path} covers {len(present)} of {len(sections)} {label} sections; "
            f"missing: {gaps}.",
            fix,
            **evidence,
        )
    return failed(f"{found.path} lacks {label} sections: {gaps}.", fix, **evidence)
