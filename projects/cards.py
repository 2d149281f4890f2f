"""MLTRL card content: the frozen form of a card, versions, diffs and exports.

A card's content is a plain dict (summary, sections, debriefs) so that a version
can be stored as JSON, compared section by section, and exported as Markdown
or JSON without touching the live models again.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from django.db import transaction
from django.db.models import Max

from .levels import level_info
from .models import CardSection, CardVersion, MLTRLCard, Project, RoleGrant

DEBRIEF_FIELDS = (
    ("done", "What was done, and by whom"),
    ("punted", "What was punted"),
    ("learned", "What was learned"),
    ("debt", "Technical debt gained or paid off"),
)


def card_content(project: Project) -> dict[str, Any]:
    """The whole card as plain data: summary, editable sections, debriefs."""
    card = MLTRLCard.objects.get(project=project)
    owners = sorted(m.user.get_username() for m in project.team.memberships.select_related("user"))
    reviewer_team_ids = [project.team_id, *project.reviewer_teams.values_list("pk", flat=True)]
    reviewers = sorted(
        {
            f"{g.user.get_username()} ({g.role.key}, {g.team.slug})"
            for g in RoleGrant.objects.filter(team_id__in=reviewer_team_ids).select_related(
                "user", "role", "team"
            )
        }
    )
    earlier = list(
        CardVersion.objects.filter(project=project)
        .order_by("number")
        .values_list("number", "level")
    )
    info = level_info(project.level)
    return {
        "summary": {
            "name": project.name,
            "id": project.slug,
            "level": project.level,
            "level_name": info.name,
            "phase": info.phase.value,
            "entry_level": project.entry_level,
            "earlier_versions": [{"version": n, "level": lv} for n, lv in earlier],
            "owning_team": project.team.slug,
            "owners": owners,
            "reviewers": reviewers,
            "project_page": card.project_page,
            "requirements_doc": card.requirements_doc,
            "vv_doc": card.vv_doc,
            "repository": project.repository_url,
            "ethics_checklist_status": card.ethics_checklist_status,
            "components": sorted(project.components.values_list("slug", flat=True)),
        },
        "sections": {section.value: getattr(card, section.value) for section in CardSection},
        "debriefs": list(card.debriefs),
    }


def card_snapshot(*, project: Project, reason: str, actor: Any) -> CardVersion:
    """Freeze the card as its next version (inside the caller's transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("card_snapshot must run inside the caller's transaction.")
    last = CardVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
    return CardVersion.objects.create(
        project=project,
        number=last + 1,
        level=project.level,
        content=card_content(project),
        reason=reason[:200],
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def _flatten(content: dict[str, Any]) -> dict[str, str]:
    """One text per comparable part of the card, keyed by a readable name."""
    flat = {
        f"summary.{key}": json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
        for key, value in content.get("summary", {}).items()
        if key != "earlier_versions"
    }
    for section in CardSection:
        flat[f"sections.{section.value}"] = content.get("sections", {}).get(section.value, "")
    flat["debriefs"] = card_debriefs_markdown(content.get("debriefs", []))
    return flat


def card_diff(older: CardVersion, newer: CardVersion) -> list[dict[str, Any]]:
    """The parts of the card that differ between two versions, with unified diffs."""
    if older.project_id != newer.project_id:
        raise ValueError("Card versions of different projects cannot be compared.")
    before, after = _flatten(older.content), _flatten(newer.content)
    changes = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key, ""), after.get(key, "")
        if old == new:
            continue
        diff = difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"v{older.number}",
            tofile=f"v{newer.number}",
            lineterm="",
        )
        changes.append({"part": key, "before": old, "after": new, "diff": "\n".join(diff)})
    return changes


# Line breaks in every form Markdown renderers or editors may honour.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
# Characters that start Markdown or HTML structure inside a line (CommonMark lets
# any ASCII punctuation be backslash-escaped, so escaping is always safe).
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
# Lines of section text that would open a heading (ATX "#", or a setext underline)
# and so forge the card's own structure.
_HEADING_LINE = re.compile(r"^( {0,3})(#|=+[ \t]*$|-+[ \t]*$)", flags=re.MULTILINE)


def md_inline(value: Any) -> str:
    """One line of literal text: line breaks become spaces, Markdown/HTML is escaped.

    Used for everything placed into the card's structure (title, table cells,
    list items), so a value can never end its heading, row or item.
    """
    text = _LINE_BREAKS.sub(" ", str(value)).strip()
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def md_block(value: str) -> str:
    """Section text: Markdown, but with raw HTML escaped and headings disarmed.

    ``<`` becomes ``&lt;`` so no tag, comment or script survives rendering, and a
    line that would open a heading is escaped so the text stays inside its section.
    """
    text = value.replace("\r\n", "\n").replace("\r", "\n").replace("<", "&lt;")
    return _HEADING_LINE.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)


def card_debriefs_markdown(debriefs: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for debrief in debriefs:
        lines.append(f"### Level {debrief.get('from_level')} -> {debrief.get('to_level')}")
        for key, label in DEBRIEF_FIELDS:
            if debrief.get(key):
                lines.append(f"- **{label}:** {md_inline(debrief[key])}")
        lines.append("")
    return "\n".join(lines).strip()


def card_markdown(content: dict[str, Any]) -> str:
    """Render card content (live or a version) as Markdown."""
    summary = content["summary"]
    lines = [
        f"# MLTRL card: {md_inline(summary['name'])}",
        "",
        "## Summary",
        "",
        "| field | value |",
        "|---|---|",
    ]
    rows = [
        ("ID", summary["id"]),
        ("Current level", f"{summary['level']} - {summary['level_name']} ({summary['phase']})"),
        ("Entry level", summary["entry_level"]),
        (
            "Earlier cards",
            ", ".join(f"v{v['version']} (level {v['level']})" for v in summary["earlier_versions"])
            or "none",
        ),
        ("Owning team", summary["owning_team"]),
        ("Owners", ", ".join(summary["owners"]) or "none"),
        ("Reviewers", ", ".join(summary["reviewers"]) or "none"),
        ("Project page", summary["project_page"] or "-"),
        ("Requirements doc", summary["requirements_doc"] or "-"),
        ("V&V doc", summary["vv_doc"] or "-"),
        ("Repository", summary["repository"] or "-"),
        ("Ethics checklist", summary["ethics_checklist_status"] or "-"),
        ("Coupled components", ", ".join(summary["components"]) or "none"),
    ]
    lines += [f"| {name} | {md_inline(value)} |" for name, value in rows]
    for section in CardSection:
        lines += [
            "",
            f"## {section.label}",
            "",
            md_block(content["sections"].get(section.value) or "") or "_empty_",
        ]
    lines += ["", "## Stage debriefs", "", card_debriefs_markdown(content["debriefs"]) or "_none_"]
    return "\n".join(lines) + "\n"


def card_json(content: dict[str, Any]) -> str:
    """Render card content as stable, indented JSON."""
    return json.dumps(content, indent=2, sort_keys=True) + "\n"
