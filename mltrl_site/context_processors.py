"""Template context every page shares: the header navigation.

A link appears only when its URL exists, so a section added later (the
portfolio) shows up in the header without touching the templates.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, URL name, the URL namespaces that mark the link as the current section)
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Home", "reviews:home", ()),
    ("Projects", "projects:list", ("projects",)),
    ("Reviews", "reviews:list", ("reviews",)),
    ("Teams", "teams:list", ("teams", "gates")),
    ("Portfolio", "portfolio:index", ("portfolio",)),
)


def _nav(request: HttpRequest) -> list[dict[str, Any]]:
    match = getattr(request, "resolver_match", None)
    current_name = match.view_name if match else ""
    namespace = match.namespace if match else ""
    items = []
    for label, name, namespaces in NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if name == current_name:
            current = True
        elif name == "reviews:home":
            current = False
        else:
            current = namespace in namespaces and current_name != "reviews:home"
        items.append({"label": label, "url": url, "current": current})
    return items


def site(request: HttpRequest) -> dict[str, Any]:
    """The header links, with the current section marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    return {"nav": _nav(request)}
