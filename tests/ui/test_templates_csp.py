"""No template carries inline code, so a strict Content-Security-Policy holds."""

from __future__ import annotations

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on*= handler"),
    (re.compile(r"\bhx-on", re.I), "hx-on handler (needs eval)"),
    (re.compile(r"https?://(?!www\.w3\.org)", re.I), "an external URL (CDN?)"),
]


def template_files() -> list[Path]:
    folders = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    return sorted(p for folder in folders for p in folder.rglob("*.html"))


def test_templates_have_no_inline_code():
    files = template_files()
    assert len(files) > 20  # the walk finds the templates at all
    problems = [
        f"{path.relative_to(BASE_DIR)}: {what}"
        for path in files
        for pattern, what in INLINE
        if pattern.search(path.read_text())
    ]
    assert not problems, problems


def test_the_scan_would_catch_inline_code():
    samples = ['<div onclick="x()">', "<script>alert(1)</script>", '<p style="color:red">']
    for sample in samples:
        assert any(p.search(sample) for p, _ in INLINE), sample
    assert not any(p.search('<script src="/static/x.js" defer></script>') for p, _ in INLINE)
