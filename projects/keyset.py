"""Keyset ("seek") pagination with a bounded count, for lists that grow large.

Page-number pagination pays an exact ``COUNT(*)`` over every matching row and an
``OFFSET`` that reads every row before the page, so its cost follows the number of
rows the user may see, not the page (docs/performance.md, "Browser pages at 100
and 10,000 projects"). Here a page is the ``size`` rows after (or before) a
cursor on the list's sort key ``(name, pk)``, which an index serves, and the total
is counted only up to a bound ("1,000+ projects"). Two queries per page, whatever
the size of the list.

A cursor is the sort key of the row at the page's edge, encoded in the URL. It
only narrows a queryset that already went through the permission entry point, so a
forged cursor can at most pick where the page starts; a malformed one gives the
first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

COUNT_BOUND = 1000


@dataclass(frozen=True)
class KeysetPage:
    """One page of rows and the links around it."""

    rows: list[Any]
    count: int  # matching rows, counted up to the bound
    count_capped: bool  # more rows match than the bound
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def cursor_encode(name: str, pk: int) -> str:
    raw = json.dumps([name, pk], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(raw: str | None) -> tuple[str, int] | None:
    """The ``(name, pk)`` a cursor names, or None for a missing or malformed one."""
    if not raw or len(raw) > 1000:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return value[0], value[1]
    return None


def keyset_page(
    queryset: QuerySet,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
    bound: int | None = None,
) -> KeysetPage:
    """The page after ``after`` (or before ``before``; neither: the first page) of a
    queryset of rows with ``name`` and ``pk``, in ``(name, pk)`` order."""
    bound = COUNT_BOUND if bound is None else bound
    count = queryset.order_by().values("pk")[: bound + 1].count()
    back = cursor_decode(before) if not after else None
    ahead = cursor_decode(after)
    if back is not None:
        name, pk = back
        rows = list(
            queryset.filter(name__lte=name)
            .exclude(name=name, pk__gte=pk)
            .order_by("-name", "-pk")[: size + 1]
        )
        is_first = len(rows) <= size
        rows = rows[:size][::-1]
        has_next = True
    else:
        qs = queryset.order_by("name", "pk")
        if ahead is not None:
            name, pk = ahead
            qs = qs.filter(name__gte=name).exclude(name=name, pk__lte=pk)
        rows = list(qs[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        is_first = ahead is None
    return KeysetPage(
        rows=rows,
        count=min(count, bound),
        count_capped=count > bound,
        next_cursor=cursor_encode(rows[-1].name, rows[-1].pk) if rows and has_next else None,
        previous_cursor=cursor_encode(rows[0].name, rows[0].pk) if rows and not is_first else None,
        is_first=is_first,
    )
