"""The AI-ethics checklist: its pre-development (gate 4-5) and post-development (8-9) parts.

The checklist is ETHICS.md, ETHICS_CHECKLIST.md, docs/ethics-checklist.md
(or _ / .rst variants, docs/ethics.md), or ``[paths] ethics_checklist``.
Its part is the section under a heading containing "pre-development" (resp.
"post-development"; also "pre development", "predevelopment"), down to the
next heading of the same or a higher rank; sub-headings stay inside.

Accepted answer formats, mixed freely inside the section:

1. Task items: ``- [x] question`` is answered, ``- [ ] question`` is not.
2. Question and answer: a question is a line (list marker, ``Q:``/``Q3.``
   prefix, bold and heading marks ignored) that ends with ``?``, or starts
   with ``Q:``/``Q<n>:``/``Question:``, or - as a list item or the first line
   of a paragraph - holds ``? `` followed by its answer ("Is X minimised? Yes,
   we ..."). Its answer is the text after the
   ``?`` on the same line plus the lines up to the next question or heading,
   with an ``A:``/``Answer:`` prefix dropped. An answer stops at the next
   heading, question, horizontal rule (section break) or footnote; footnotes
   (``[^1]: ...``, ``¹ ...``, ``<sup>``), link references, HTML comments and
   template notes (``> **Note:** ...``, ``_Hint: ..._``, ``> [!TIP]``, to the
   end of their paragraph) are never answers. An answer that is empty or only
   TODO / TBD / ``...`` / ``?`` / ``-`` leaves the question unanswered.
   "N/A" with a reason is an answer.

The check passes when the section has at least one question and every
question is answered; unanswered ones are listed with their line and text.
"""

from __future__ import annotations

import re

from .base import CheckContext, CheckOutput, failed, passed
from .common import WORD, Heading, Outline, capped, check, doc_names, locate, outline, plural

ETHICS_NAMES = doc_names(
    "ETHICS",
    "ETHICS_CHECKLIST",
    "docs/ethics-checklist",
    "docs/ethics_checklist",
    "docs/ethics",
    "ethics-checklist",
)
PRE = re.compile(r"\bpre[-\s_]?dev(elopment)?\b", re.I)
POST = re.compile(r"\bpost[-\s_]?dev(elopment)?\b", re.I)

TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s*(.*)$")
MARKS = re.compile(r"^\s*(?:#{1,6}\s*|>\s*)?(?:[-*+]\s+|\d+[.)]\s+)?(?:\*\*|__)?\s*")
Q_PREFIX = re.compile(r"^(?:q\d*|question\s*\d*)\s*[:.)]\s*", re.I)
A_PREFIX = re.compile(
    r"^\s*(?:[-*+>]\s+)?(?:\*\*|__)?\s*(?:a\d*|answer)\s*[:.)]\s*(?:\*\*|__)?", re.I
)
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
# Lines that end an answer and are never one: horizontal rules (section breaks),
# footnote and link-reference definitions, superscript or <sub>/<sup> footnotes.
BREAK = re.compile(r"^ {0,3}(?:[-*_][ \t]*){3,}$")
FOOTNOTE = re.compile(
    r"^\s*(?:\[\^?[^\]]+\]:|[\u00b9\u00b2\u00b3\u2070-\u2079]|<su[bp]>|\^\d|footnotes?\s*:)", re.I
)
# Template notes are not answers: "> **Note:** ...", "_Note: delete this_", "> [!TIP]".
NOTE = re.compile(
    r"^\s*(?:>\s*)*(?:[*_]{1,2})?\s*(?:\[!\w+\]|(?:notes?|template|hint|tip|guidance|"
    r"instructions?|example)\b\s*(?:[*_]{1,2})?\s*[:.\-\u2013\u2014])",
    re.I,
)
NON_ANSWERS = {"", "todo", "tbd", "tba", "...", "…", "?", "-", "—", "xxx", "fixme"}


def _is_question(line: str, paragraph_start: bool) -> tuple[bool, str]:
    """(is a question line, the text after the question mark on that line)."""
    listed = paragraph_start or bool(LIST_ITEM.match(line))
    text = MARKS.sub("", line).strip().rstrip("*_").strip()
    prefixed = bool(Q_PREFIX.match(text))
    if text.endswith("?"):
        return True, ""
    if (prefixed or listed) and "? " in text:
        return True, text.rpartition("? ")[2].strip("*_ ")
    return prefixed, ""


def _answered(text: str) -> bool:
    cleaned = A_PREFIX.sub("", text).strip().strip("*_ ").lower()
    if cleaned.rstrip(".") in NON_ANSWERS or cleaned.startswith(("todo", "tbd", "fixme")):
        return False
    return bool(WORD.findall(cleaned)) or cleaned.upper().startswith("N/A")


def review_section(doc: Outline, section: Heading) -> tuple[list[int], list[int]]:
    """Line numbers (1-based) of the answered and unanswered questions of a section.

    A question's answer runs to the next heading, question, horizontal rule or
    footnote; footnotes, link references, HTML comments and template notes
    (with the rest of their paragraph) are never part of an answer.
    """
    titles = {h.line - 1 for h in doc.headings}
    underlines = {h.line for h in doc.headings if h.start == h.line + 1}
    answered: list[int] = []
    unanswered: list[int] = []
    pending: tuple[int, list[str]] | None = None  # an open question: (line, answer parts)
    skipping = False  # inside a note's paragraph, or after a footnote until the next question
    in_comment = False

    def settle() -> None:
        if pending is not None:
            done = _answered(" ".join(pending[1]))
            (answered if done else unanswered).append(pending[0])

    for i in range(section.start, section.end):
        line = doc.lines[i]
        if i in underlines:
            continue
        if in_comment or line.lstrip().startswith("<!--"):
            in_comment = "-->" not in line
            continue
        if BREAK.match(line) or FOOTNOTE.match(line):
            settle()
            pending, skipping = None, True
            continue
        task = TASK.match(line)
        fresh = i == section.start or not doc.lines[i - 1].strip()
        is_question, tail = (False, "") if task else _is_question(line, fresh)
        if task or is_question or i in titles:
            settle()
            skipping = False
            pending = (i + 1, [tail]) if is_question else None
            if task:
                (answered if task.group(1) in "xX" else unanswered).append(i + 1)
            continue
        if NOTE.match(line):
            skipping = True  # the note runs to the end of its paragraph
            continue
        if not line.strip():
            # A note ends with its paragraph; after a footnote nothing answers any more.
            skipping = skipping and pending is None
            continue
        if pending is not None and not skipping:
            pending[1].append(line)
    settle()
    return answered, unanswered


def _checklist(ctx: CheckContext, *, part: str, pattern: re.Pattern[str]) -> CheckOutput:
    found = locate(ctx, "ethics_checklist", ETHICS_NAMES)
    heading_name = f"## {part.capitalize()} questions"
    if found.path is None:
        if found.configured:
            return failed(
                f"{found.problem}.",
                "Fix [paths] ethics_checklist in .mltrl.toml or add that file.",
                configured=found.configured,
            )
        return failed(
            "No AI-ethics checklist was found.",
            f"Add ETHICS.md with a '{heading_name}' section answering each question "
            "('- [x] ...' items or question lines followed by answers), or set "
            "[paths] ethics_checklist in .mltrl.toml.",
            looked_for=["ETHICS.md", "ETHICS_CHECKLIST.md", "docs/ethics-checklist.md"],
        )
    doc = outline(ctx.text(found.path) or "")
    section = next((h for h in doc.headings if pattern.search(h.title)), None)
    if section is None:
        return failed(
            f"{found.path} has no {part} section.",
            f"Add a '{heading_name}' section to {found.path} and answer each question.",
            path=found.path,
        )
    answered, unanswered = review_section(doc, section)
    evidence = {
        "path": found.path,
        "section": section.title,
        "line": section.line,
        "answered": len(answered),
        "unanswered": len(unanswered),
        "unanswered_lines": capped(unanswered),
    }
    if not answered and not unanswered:
        return failed(
            f"The '{section.title}' section of {found.path} lists no questions.",
            f"List the {part} questions under '{section.title}' as '- [x] ...' items or as "
            "question lines each followed by its answer.",
            **evidence,
        )
    if unanswered:
        lines = ", ".join(str(n) for n in capped(unanswered, 10))
        first = _question_text(doc.lines[unanswered[0] - 1])
        where = (
            f"line {lines}: {first}" if len(unanswered) == 1 else f"lines {lines}; first: {first}"
        )
        evidence["unanswered_questions"] = [
            {"line": n, "question": _question_text(doc.lines[n - 1])} for n in capped(unanswered)
        ]
        return failed(
            f"{plural(len(unanswered), 'question')} of the {part} ethics checklist "
            f"{'is' if len(unanswered) == 1 else 'are'} unanswered in {found.path} "
            f"({where}).",
            f"Answer each question in '{section.title}' of {found.path}: tick '- [ ]' items "
            "once addressed, or write the answer under the question.",
            **evidence,
        )
    return passed(
        f"All {plural(len(answered), 'question')} of the {part} ethics checklist in "
        f"{found.path} are answered.",
        **evidence,
    )


@check("ethics_checklist_pre", "Pre-development ethics checklist answered", level=4)
def ethics_checklist_pre(ctx: CheckContext) -> CheckOutput:
    """Every pre-development question of the AI-ethics checklist is answered."""
    return _checklist(ctx, part="pre-development", pattern=PRE)


@check("ethics_checklist_post", "Post-development ethics checklist answered", level=8)
def ethics_checklist_post(ctx: CheckContext) -> CheckOutput:
    """Every post-development question of the AI-ethics checklist is answered."""
    return _checklist(ctx, part="post-development", pattern=POST)


QUESTION_MARKUP = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s*)?|#{1,6}\s+|\d+[.)]\s+)?")


def _question_text(line: str, limit: int = 100) -> str:
    """A question's line as the researcher wrote it, without list, box or heading
    markup and emphasis, quoted and shortened to ``limit`` characters."""
    text = QUESTION_MARKUP.sub("", line, count=1).replace("**", "").replace("__", "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return f'"{text}"'
