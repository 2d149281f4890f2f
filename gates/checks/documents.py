"""Checks on the research and product documents: README purpose and requirements.

Every document is found through ``locate``: the ``[paths]`` entry of
``.mltrl.toml`` when set (then only that path counts), else conventional names
compared case-insensitively.

- readme_purpose: README at the root (README, README.md/.rst/.txt/.markdown)
  with a Purpose/Goal/Motivation/Overview/About/Problem/Objective/Aim/Why/
  Abstract/Introduction/Description/Summary/TL;DR heading holding >= 5 words,
  or a first prose paragraph of >= 15 words. Looking for that paragraph skips
  titles, blank lines, horizontal rules, images, badges, HTML blocks, tables,
  code and lines made only of links (navigation such as '[Paper] | [Demo]').
- research_requirements / product_requirements: numbered "shall" statements
  (``1. The model shall``, ``R1: ... shall``, ``REQ-3 ... shall``, also in
  list items, headings and table rows), at least ``min_shall_statements``,
  and a Verification / Validation / V&V heading with a few words under it.
  ``requirements.txt`` is pip's file and never counts unless ``[paths]``
  names it.
"""

from __future__ import annotations

import re
from typing import Any

from .base import CheckContext, CheckOutput, failed, passed
from .common import (
    WORD,
    capped,
    check,
    configured_path_missing,
    doc_names,
    locate,
    outline,
    plural,
)

# --- readme_purpose -------------------------------------------------------------------

README_NAMES = ["README.md", "README.rst", "README.txt", "README", "README.markdown"]
PURPOSE = re.compile(
    r"\b(purpose|goals?|motivation|overview|about|problem|objectives?|aims?|why|abstract"
    r"|introduction|description|summary|tl;?dr)\b",
    re.I,
)
MIN_PARAGRAPH_WORDS = 15
MIN_SECTION_WORDS = 5
# Lines that are never prose: code fences, tables, images, badges, HTML, horizontal rules.
NOT_PROSE = re.compile(
    r"^\s*(\[!\[|!\[|<|\||```|~~~|(?:[-*_][ \t]*){3,}$|\.\. (?:image|figure|raw|raw::html|\|)\S*)"
)
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\([^)]*\)|<[^>]+>|https?://\S+")
LINK_ONLY_LEFTOVER = re.compile(r"[\s|·•,;/\-\u2013\u2014\[\]()]*")


def _navigation_only(line: str) -> bool:
    """A line of links and separators only ('[Paper] | [Project page] | [Demo]')."""
    if not LINK.search(line):
        return False
    # Link texts are names of pages, not prose: drop them with their URLs.
    return LINK_ONLY_LEFTOVER.fullmatch(LINK.sub("", line)) is not None


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after YAML front matter (Hugging Face cards), else 0."""
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                return i + 1
    return 0


def first_paragraph(text: str) -> tuple[int, int]:
    """(line, word count) of the first prose paragraph.

    Titles, badges, images, HTML blocks (up to their blank line), horizontal
    rules, tables, link-only navigation lines, code and blank lines are skipped;
    the first block of other lines is the paragraph.
    """
    doc = outline(text)
    heading_lines = set()
    for h in doc.headings:
        heading_lines.add(h.line - 1)
        if h.start == h.line + 1:  # underlined title: the underline too
            heading_lines.add(h.line)
    in_fence = in_html = False
    block: list[str] = []
    first = 0
    start = _front_matter_end(doc.lines)
    for i, line in enumerate(doc.lines[start:], start):
        stripped = line.strip()
        if i not in heading_lines and line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            if block:
                break
            continue
        if in_html and stripped:  # an HTML block runs to the next blank line
            continue
        in_html = False
        skip = (
            in_fence
            or i in heading_lines
            or not stripped
            or NOT_PROSE.match(line)
            or _navigation_only(line)
        )
        if skip:
            if stripped.startswith("<") and not block:
                in_html = True
            if block:
                break
            continue
        if not block:
            first = i + 1
        block.append(line)
    return first, len(WORD.findall(LINK.sub(r"\1", " ".join(block))))


@check("readme_purpose", "README with purpose", level=0)
def readme_purpose(ctx: CheckContext) -> CheckOutput:
    """A README at the root saying what problem the project addresses."""
    found = locate(ctx, "readme", README_NAMES)
    if found.path is None:
        if found.configured:
            return failed(
                f"{found.problem}.",
                "Fix [paths] readme in .mltrl.toml or add that file.",
                configured=found.configured,
            )
        return failed(
            "The repository has no README at its root.",
            "Add README.md at the root with a '## Purpose' section saying what problem this "
            "project solves and for whom.",
            looked_for=README_NAMES,
        )
    text = ctx.text(found.path)
    if text is None:
        return failed(
            f"{found.path} could not be read (it is over the size limit).",
            f"Keep {found.path} a short text file.",
            path=found.path,
        )
    doc = outline(text)
    heading, _empty = doc.find(PURPOSE, min_words=MIN_SECTION_WORDS)
    if heading is not None:
        return passed(
            f"{found.path} states the project's purpose under '{heading.title}'.",
            path=found.path,
            heading=heading.title,
            line=heading.line,
        )
    line, words = first_paragraph(text)
    if words >= MIN_PARAGRAPH_WORDS:
        return passed(
            f"{found.path} opens with a paragraph describing the project ({words} words).",
            path=found.path,
            heading=None,
            first_paragraph_line=line,
            first_paragraph_words=words,
        )
    return failed(
        f"{found.path} does not say what the project is for: it has no Purpose, Goal, "
        f"Motivation or Overview section and its first paragraph has {plural(words, 'word')}.",
        f"Add a '## Purpose' section to {found.path} saying what problem this project solves.",
        path=found.path,
        heading=None,
        first_paragraph_words=words,
    )


# --- requirements documents -----------------------------------------------------------

REQUIREMENT_EXTENSIONS = ("md", "markdown", "rst", "adoc")  # never requirements.txt
SHALL_NUMBERED = re.compile(
    r"^\s*(?:#{1,6}\s*|[-*+]\s+|\|\s*)?(?:\*\*|__|\[)?"
    r"(\d+(?:\.\d+)*[.)]?|[A-Za-z]{1,12}[-_]?\d+(?:\.\d+)*)"
    r"(?:\*\*|__|\])?\s*[:.)|\-\u2013\u2014]?\s+.*\bshall\b",
    re.I,
)
SHALL = re.compile(r"\bshall\b", re.I)
VV = re.compile(
    r"\b(verification|validation|verifying|validating)\b|\bv\s*(?:&|&amp;|and)\s*v\b", re.I
)


def _requirements(
    ctx: CheckContext, *, path_key: str, names: list[str], label: str, suggested: str
) -> CheckOutput:
    found = locate(ctx, path_key, names)
    minimum = ctx.config.threshold("min_shall_statements")
    if found.path is None:
        if found.configured:
            return configured_path_missing(found, path_key)
        return failed(
            f"No {label} document was found.",
            f"Add {suggested} with numbered requirements ('1. The model shall ...') and a "
            f"'## Verification and validation' section, or set [paths] {path_key} in .mltrl.toml.",
            looked_for=capped(names[:: len(REQUIREMENT_EXTENSIONS)], 8),
        )
    text = ctx.text(found.path) or ""
    numbered: list[int] = []
    unnumbered = 0
    for number, line in enumerate(text.splitlines(), 1):
        if SHALL_NUMBERED.match(line):
            numbered.append(number)
        elif SHALL.search(line):
            unnumbered += 1
    vv, vv_empty = outline(text).find(VV, min_words=3)
    evidence: dict[str, Any] = {
        "path": found.path,
        "shall_statements": len(numbered),
        "shall_lines": capped(numbered),
        "unnumbered_shall_lines": unnumbered,
        "vv_heading": vv.title if vv else None,
        "vv_line": vv.line if vv else None,
    }
    problems, fixes = [], []
    if len(numbered) < minimum:
        hint = f" ({plural(unnumbered, 'unnumbered one')})" if unnumbered else ""
        problems.append(
            f"has {plural(len(numbered), 'numbered shall statement')}{hint}, "
            f"at least {minimum} required"
        )
        fixes.append("number each requirement ('1. The model shall ...' or 'R1: ... shall ...')")
    if vv is None:
        problems.append(
            "has an empty verification and validation section"
            if vv_empty
            else "has no verification and validation (V&V) section"
        )
        fixes.append(
            "add a '## Verification and validation' section saying how each requirement is checked"
        )
    if problems:
        return failed(
            f"{found.path} {' and '.join(problems)}.",
            f"In {found.path}, {' and '.join(fixes)}.",
            **evidence,
        )
    return passed(
        f"{found.path} has {plural(len(numbered), 'numbered shall statement')} and a V&V "
        f"section ('{vv.title}').",
        **evidence,
    )


RESEARCH_NAMES = doc_names(
    "docs/research-requirements",
    "docs/research_requirements",
    "RESEARCH_REQUIREMENTS",
    "research-requirements",
    "docs/requirements/research",
    "REQUIREMENTS",
    "docs/REQUIREMENTS",
    extensions=REQUIREMENT_EXTENSIONS,
)
PRODUCT_NAMES = doc_names(
    "docs/product-requirements",
    "docs/product_requirements",
    "PRODUCT_REQUIREMENTS",
    "product-requirements",
    "docs/requirements/product",
    "PRD",
    "docs/PRD",
    extensions=REQUIREMENT_EXTENSIONS,
)


@check("research_requirements", "Research requirements with V&V", level=2)
def research_requirements(ctx: CheckContext) -> CheckOutput:
    """A research requirements document: numbered 'shall' statements and a V&V section."""
    return _requirements(
        ctx,
        path_key="research_requirements",
        names=RESEARCH_NAMES,
        label="research requirements",
        suggested="docs/research-requirements.md",
    )


@check("product_requirements", "Product requirements with V&V", level=5)
def product_requirements(ctx: CheckContext) -> CheckOutput:
    """A product requirements document: numbered 'shall' statements and a V&V section."""
    return _requirements(
        ctx,
        path_key="product_requirements",
        names=PRODUCT_NAMES,
        label="product requirements",
        suggested="docs/product-requirements.md",
    )
