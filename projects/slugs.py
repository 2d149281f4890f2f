"""Words a project's slug may not be: the fixed pages that sit where a slug sits.

``/projects/new/`` is a page, ``/projects/<slug>/`` a project; a project called
``new`` could never be reached. The reserved words are read from the URL
configuration itself: for every route that puts ``<slug:slug>`` right after a
``.../projects/`` prefix, any other route under that prefix whose next segment
is a fixed word reserves that word. A page added later under ``/projects/`` is
reserved without anyone editing a list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from django.urls import URLResolver, get_resolver

_SLUG_SEGMENT = "<slug:slug>"
_WORD = re.compile(r"[-a-zA-Z0-9_]+")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    """Every route of the URL configuration as its full text (``path()`` syntax)."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        else:
            yield route


@lru_cache(maxsize=4)
def _reserved(resolver: URLResolver) -> frozenset[str]:
    routes = list(_routes(resolver.url_patterns))
    prefixes = {
        route.split(_SLUG_SEGMENT, 1)[0]
        for route in routes
        if _SLUG_SEGMENT in route and route.split(_SLUG_SEGMENT, 1)[0].endswith("projects/")
    }
    words = set()
    for route in routes:
        for prefix in prefixes:
            if route.startswith(prefix):
                segment = route[len(prefix) :].split("/", 1)[0]
                if _WORD.fullmatch(segment):
                    words.add(segment.lower())
    return frozenset(words)


def reserved_project_slugs() -> frozenset[str]:
    """The slugs that name a page under ``/projects/`` (today: ``new``)."""
    return _reserved(get_resolver())


_PROJECT_SLUG = re.compile(r"[a-z0-9-]+")
SLUG_SHAPE_PROBLEM = "Use only lowercase letters, digits and hyphens in the short name."


def project_slug_problem(slug: str) -> str | None:
    """Why ``slug`` cannot name a project, in words, or None.

    Lowercase letters, digits and hyphens only (Django's slug also takes
    uppercase and underscores), and not a word reserved for a page.
    """
    if not _PROJECT_SLUG.fullmatch(slug or ""):
        return SLUG_SHAPE_PROBLEM
    if slug in reserved_project_slugs():
        return f"The short name {slug!r} is reserved for a page of the site; choose another."
    return None
