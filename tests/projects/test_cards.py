"""The MLTRL card (docs/workflow.md, "The MLTRL card") and the level catalog.

Level changes go through the real review services: required card sections are
filled, passing check results are recorded for the pinned commit, and the
reviewers the gate names sign off.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError

from gates.services import check_run_record_completed
from projects import services as project_services
from projects.actors import system_actor
from projects.cards import card_content, card_diff, card_json, card_markdown
from projects.levels import LEVELS, Level, Phase, level_info
from projects.models import CardSection, CardVersion, MLTRLCard, Project
from reviews import services
from reviews.models import LevelChangeRequest, RequestState
from reviews.selectors import request_requirements
from tests.org import SHA_A, admin_actor

pytestmark = pytest.mark.django_db


def _set_card(project, **fields) -> None:
    card = MLTRLCard.objects.get(project=project)
    for name, value in fields.items():
        setattr(card, name, value)
    card.save()


def _approve(org, project, *, to_level, reviewers, kind="advance", **opening):
    """Open a request, record passing results for every check it needs, sign it off.

    Each step pins its own commit, as a real climb would.
    """
    commit = hashlib.sha256(f"{project.pk}:{project.level}:{kind}:{to_level}".encode())
    commit = commit.hexdigest()[:40]
    request = services.request_open(
        project=project,
        actor=org.researcher,
        kind=kind,
        to_level=to_level,
        commit_sha=commit,
        **opening,
    )
    checks = request_requirements(request).required_checks
    if checks:
        check_run_record_completed(
            project=project,
            commit_sha=commit,
            results=[{"check_key": key, "outcome": "pass", "message": "ok"} for key in checks],
            actor=system_actor("worker"),
        )
    for reviewer in reviewers:
        services.signoff_record(level_request=request, actor=reviewer, decision="approve")
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    project.refresh_from_db()
    assert project.level == to_level
    return request


def _versions(project) -> list[CardVersion]:
    return list(CardVersion.objects.filter(project=project).order_by("number"))


# --- versions ---------------------------------------------------------------------------


def test_version_one_is_taken_at_creation(org):
    (v1,) = _versions(org.project)
    assert (v1.number, v1.level, v1.reason) == (1, 0, "created")
    assert v1.created_by == org.researcher
    assert v1.content["summary"]["level"] == 0
    assert v1.content["summary"]["earlier_versions"] == []
    assert v1.content["sections"] == {section.value: "" for section in CardSection}
    assert v1.content["debriefs"] == []


def test_every_level_change_takes_a_version_with_the_new_level(org):
    project = org.project
    _set_card(project, tldr="Detect defects in images.")
    _approve(org, project, to_level=1, reviewers=[org.lead])
    _approve(org, project, to_level=2, reviewers=[org.lead, org.peer])
    _approve(
        org,
        project,
        kind="switchback",
        to_level=1,
        reviewers=[org.lead],
        switchback_kind="review",
        reason="The proof of principle used leaked labels.",
    )
    versions = _versions(project)
    assert [(v.number, v.level, v.reason) for v in versions] == [
        (1, 0, "created"),
        (2, 1, "level 0 -> 1"),
        (3, 2, "level 1 -> 2"),
        (4, 1, "level 2 -> 1"),
    ]
    assert [v.content["summary"]["level"] for v in versions] == [0, 1, 2, 1]
    assert [v.created_by for v in versions[1:]] == [org.lead, org.peer, org.lead]
    assert versions[3].content["summary"]["earlier_versions"] == [
        {"version": 1, "level": 0},
        {"version": 2, "level": 1},
        {"version": 3, "level": 2},
    ]


def test_a_request_that_is_not_approved_takes_no_version(org):
    project = org.project
    _set_card(project, tldr="Detect defects in images.")
    request = services.request_open(
        project=project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    services.signoff_record(level_request=request, actor=org.lead, decision="approve")
    request.refresh_from_db()
    assert request.state == RequestState.OPEN  # the readme check has no result
    assert len(_versions(project)) == 1


def test_entry_review_version_records_the_entry_level(org):
    project = org.project
    _set_card(project, tldr="An off-the-shelf detector.", intended_uses="Shelf audits.")
    _approve(
        org,
        project,
        kind="entry",
        to_level=1,
        reviewers=[org.lead, org.eng, org.prod],
        reason="Licensed from a vendor.",
    )
    v1, v2 = _versions(project)
    assert v2.level == 1
    assert v2.content["summary"]["entry_level"] == 1
    parts = {change["part"] for change in card_diff(v1, v2)}
    assert {"summary.level", "summary.entry_level", "sections.tldr"} <= parts


# --- diffs --------------------------------------------------------------------------------


def test_diff_lists_exactly_the_changed_parts_with_a_unified_diff(org):
    project = org.project
    _set_card(project, tldr="Detect defects in images.")
    _approve(org, project, to_level=1, reviewers=[org.lead])
    _set_card(project, tldr="Detect and locate defects in images.\nRuns on the edge.")
    _approve(org, project, to_level=2, reviewers=[org.lead, org.peer])
    _, v2, v3 = _versions(project)

    changes = card_diff(v2, v3)

    assert [c["part"] for c in changes] == [
        "sections.tldr",
        "summary.level",
        "summary.level_name",
    ]
    tldr = changes[0]
    assert tldr["before"] == "Detect defects in images."
    assert tldr["after"] == "Detect and locate defects in images.\nRuns on the edge."
    assert tldr["diff"].splitlines() == [
        "--- v2",
        "+++ v3",
        "@@ -1 +1,2 @@",
        "-Detect defects in images.",
        "+Detect and locate defects in images.",
        "+Runs on the edge.",
    ]
    assert (changes[1]["before"], changes[1]["after"]) == ("1", "2")
    assert (changes[2]["before"], changes[2]["after"]) == (
        "Goal-oriented research",
        "Proof of principle",
    )


def test_diff_of_a_version_with_itself_is_empty(org):
    (v1,) = _versions(org.project)
    assert card_diff(v1, v1) == []


def test_diff_refuses_versions_of_different_projects(org):
    other = project_services.project_create(
        team=org.teams["product"], slug="recs", name="Recs", actor=admin_actor()
    )
    (mine,) = _versions(org.project)
    (theirs,) = _versions(other)
    with pytest.raises(ValueError, match="different projects cannot be compared"):
        card_diff(mine, theirs)


# --- exports ------------------------------------------------------------------------------


def test_markdown_renders_every_section_and_the_summary_table(org, settings):
    settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https"]
    settings.MLTRL_GIT_ALLOWED_HOSTS = []
    project = org.project
    component = project_services.project_create(
        team=org.teams["engineering"],
        slug="feature-store",
        name="Feature store",
        actor=admin_actor(),
    )
    project_services.project_update(
        project=project,
        repository_url="https://8.8.8.8/org/vision.git",
        components=[component],
        actor=admin_actor(),
    )
    _set_card(
        project,
        tldr="Detect defects in images.",
        pitch="It looks at photos and circles scratches.",
        ethics_checklist_status="pre: answered | post: open",
    )
    _approve(org, project, to_level=1, reviewers=[org.lead])

    text = card_markdown(card_content(project))
    lines = text.splitlines()

    assert lines[0] == "# MLTRL card: Vision model"
    headings = [line for line in lines if line.startswith("## ")]
    assert headings == [
        "## Summary",
        *(f"## {section.label}" for section in CardSection),
        "## Stage debriefs",
    ]
    assert "| Current level | 1 - Goal-oriented research (research) |" in lines
    assert "| Owners | lead, peer, researcher |" in lines
    assert (
        "| Reviewers | eng (engineering, engineering), eng2 (engineering, engineering), "
        "ethicist (ethics, ethics-ops), lead (research-lead, research), "
        "ops (operations, ethics-ops), peer (research-peer, research), "
        "prod (product, product) |"
    ) in lines
    assert "| Repository | https://8.8.8.8/org/vision.git |" in lines
    assert "| Coupled components | feature-store |" in lines
    assert "| Earlier cards | v1 (level 0), v2 (level 1) |" in lines
    # A pipe inside a value would split the table row: it is escaped.
    assert "| Ethics checklist | pre: answered \\| post: open |" in lines
    assert "## TL;DR\n\nDetect defects in images.\n" in text
    assert "## Model / algorithm pitch\n\nIt looks at photos and circles scratches.\n" in text
    assert "## Intended uses\n\n_empty_\n" in text
    assert text.count("_empty_") == len(CardSection) - 2
    assert text.endswith("## Stage debriefs\n\n_none_\n")


def test_markdown_of_a_new_project_shows_empty_sections_and_no_earlier_cards(org):
    (v1,) = _versions(org.project)
    text = card_markdown(v1.content)
    assert text.count("_empty_") == len(CardSection)
    assert "| Earlier cards | none |" in text
    assert "| Current level | 0 - First principles (research) |" in text
    assert "| Repository | - |" in text
    assert "| Coupled components | none |" in text


def test_json_export_round_trips_to_the_content(org):
    project = org.project
    _set_card(project, tldr="Détecter les défauts.", requirements="1. The model shall ...")
    _approve(org, project, to_level=1, reviewers=[org.lead], debrief={"done": "lead: baseline"})
    content = card_content(project)
    exported = card_json(content)
    assert json.loads(exported) == content
    assert exported.endswith("}\n")
    for version in _versions(project):
        assert json.loads(card_json(version.content)) == version.content


# --- stage debriefs ---------------------------------------------------------------------


def test_debrief_given_at_opening_appears_in_the_card_after_approval(org):
    project = org.project
    _set_card(project, tldr="Detect defects in images.")
    request = _approve(
        org,
        project,
        to_level=1,
        reviewers=[org.lead],
        debrief={
            "done": "researcher: literature review and hypotheses",
            "punted": "  ",
            "learned": "Synthetic scratches are too easy.",
            "debt": "Notebook-only prototype.",
        },
    )
    expected = {
        "from_level": 0,
        "to_level": 1,
        "request": request.pk,
        "done": "researcher: literature review and hypotheses",
        "learned": "Synthetic scratches are too easy.",
        "debt": "Notebook-only prototype.",
    }
    assert MLTRLCard.objects.get(project=project).debriefs == [expected]
    assert _versions(project)[-1].content["debriefs"] == [expected]
    text = card_markdown(card_content(project))
    assert (
        "## Stage debriefs\n\n"
        "### Level 0 -> 1\n"
        "- **What was done, and by whom:** researcher: literature review and hypotheses\n"
        "- **What was learned:** Synthetic scratches are too easy.\n"
        "- **Technical debt gained or paid off:** Notebook-only prototype.\n"
    ) in text
    assert "What was punted" not in text
    v1, v2 = _versions(project)
    assert "debriefs" in {change["part"] for change in card_diff(v1, v2)}


def test_debriefs_accumulate_across_level_changes(org):
    project = org.project
    _set_card(project, tldr="Detect defects in images.")
    _approve(org, project, to_level=1, reviewers=[org.lead], debrief={"done": "first"})
    _approve(org, project, to_level=2, reviewers=[org.lead, org.peer], debrief={"done": "second"})
    debriefs = MLTRLCard.objects.get(project=project).debriefs
    assert [(d["from_level"], d["to_level"], d["done"]) for d in debriefs] == [
        (0, 1, "first"),
        (1, 2, "second"),
    ]


def test_unknown_debrief_fields_are_refused(org):
    _set_card(org.project, tldr="Detect defects in images.")
    with pytest.raises(ValidationError) as caught:
        services.request_open(
            project=org.project,
            actor=org.researcher,
            kind="advance",
            to_level=1,
            debrief={"done": "x", "mood": "great", "blame": "nobody"},
        )
    assert caught.value.messages == [
        "Unknown debrief fields: blame, mood (use debt, done, learned, punted)."
    ]
    assert not LevelChangeRequest.objects.filter(project=org.project).exists()


def test_non_text_debrief_values_are_refused_with_a_message(org):
    with pytest.raises(ValidationError):
        services.request_open(
            project=org.project,
            actor=org.researcher,
            kind="advance",
            to_level=1,
            debrief={"done": 42},
        )


# --- the level catalog -------------------------------------------------------------------


def test_catalog_has_ten_levels_in_four_phases():
    assert [info.number for info in LEVELS] == list(range(10))
    phases = [info.phase for info in LEVELS]
    assert phases == [Phase.RESEARCH] * 3 + [Phase.PROTOTYPING] * 3 + [Phase.PRODUCTIZATION] * 3 + [
        Phase.DEPLOYMENT
    ]
    for info in LEVELS:
        assert level_info(info.number) is info
        assert Level(info.number).label == f"{info.number} - {info.name}"
        assert info.purpose and info.exit_deliverables


def test_catalog_names_follow_the_paper():
    assert [info.name for info in LEVELS] == [
        "First principles",
        "Goal-oriented research",
        "Proof of principle",
        "System development",
        "Proof of concept",
        "ML capability",
        "Application development",
        "Integrations",
        "Flight-ready",
        "Deployment",
    ]


@pytest.mark.parametrize("number", [-1, 10, 99])
def test_level_info_outside_the_catalog_raises(number):
    with pytest.raises(ValueError, match=f"Level {number} is outside 0-9"):
        level_info(number)


# --- hostile values in the Markdown export (issue 6) ------------------------------


def _render(text: str) -> tuple[str, list]:
    """Render as GitHub-style Markdown (CommonMark plus tables): HTML and tokens."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    return md.render(text), md.parse(text)


def test_markdown_export_escapes_hostile_names_cells_sections_and_debriefs(org):
    project = org.project
    Project.objects.filter(pk=project.pk).update(
        name="Evil\r\n# Injected heading\n<script>alert(1)</script>"
    )
    _set_card(
        project,
        ethics_checklist_status="line one\nline two | extra cell\r\n|---|---|",
        project_page="<img src=x onerror=alert(1)>",
        tldr="Fine text.\n## Stage debriefs\n<script>alert(2)</script>\nForged\n===\n# Top",
        pitch="Keeps *emphasis* and\n\n- lists",
    )
    content = card_content(Project.objects.get(pk=project.pk))
    content["debriefs"] = [
        {"from_level": 0, "to_level": 1, "done": "ok\n## Forged debrief\n<b>bold</b>"}
    ]
    text = card_markdown(content)
    html, tokens = _render(text)

    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not run
    headings = [
        (tokens[i].tag, tokens[i + 1].content)
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    assert headings[0][0] == "h1" and [tag for tag, _ in headings].count("h1") == 1
    assert "Injected heading" in headings[0][1]  # stayed on the title line
    assert [name for tag, name in headings if tag == "h2"] == [
        "Summary",
        *(section.label for section in CardSection),
        "Stage debriefs",
    ]
    assert [tag for tag, _ in headings if tag == "h3"] == ["h3"]  # the one debrief
    # The table keeps its 13 rows of two cells; the hostile value stays in one cell.
    rows = [t for t in tokens if t.type == "tr_open"]
    cells = [t for t in tokens if t.type in {"td_open", "th_open"}]
    assert len(rows) == 14 and len(cells) == 28
    assert "| Ethics checklist | line one line two \\| extra cell \\|---\\|---\\| |" in text
    # Legitimate Markdown in a section still renders.
    assert "<em>emphasis</em>" in html and "<li>lists</li>" in html
