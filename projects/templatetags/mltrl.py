"""Template filters shared by every page: safe Markdown, short commits, level names."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from projects.levels import level_info
from projects.markdown import markdown_render

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Render people's Markdown safely (raw HTML never passes)."""
    return markdown_render(text)


@register.filter
def short_sha(sha: str | None) -> str:
    return (sha or "")[:10]


@register.filter
def level_name(number: int | None) -> str:
    """``5`` -> ``ML capability``; empty for no level."""
    if number is None or number == "":
        return ""
    try:
        return level_info(int(number)).name
    except ValueError:
        return ""


@register.filter
def get_item(mapping: dict, key: str):
    """``mapping|get_item:key`` for dicts whose keys are not identifiers."""
    return mapping.get(key) if mapping else None
