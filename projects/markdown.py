"""Markdown written by people (cards, comments, reasons) rendered safely for pages.

markdown-it-py parses CommonMark with raw HTML switched off, so ``<script>``
typed into a card stays text; nh3 then cleans the produced HTML against a
small allow-list (no attributes that run code, links limited to http(s) and
mailto, ``rel="noopener noreferrer nofollow"`` on every link). Two locks on
one door: a bug in either library alone does not let markup through.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html=False: raw HTML in the source is escaped, not passed on.
    # Headings of the author's text start at h3: the page owns h1 and h2.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def _demote_headings(html: str) -> str:
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(
            f"</h{level}>", f"</h{level + 2}>"
        )
    return html


def markdown_render(text: str | None) -> SafeString:
    """Markdown source to HTML that is safe to put in a page as it is."""
    if not text:
        return mark_safe("")
    html = _demote_headings(_parser().render(text))
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308  (cleaned by nh3 against the allow-list)
