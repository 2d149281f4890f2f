"""Reading numbers and moments that people type into addresses and forms, never a 500.

``str.isdigit()`` is true for "²" and "٣": ``int()`` refuses the first and reads
the second. A twenty-digit number passes ``int()`` but overflows SQLite's
integer. ``date.fromisoformat("9999-12-31")`` is a date whose next day does not
exist, and a moment near year 1 or 9999 given in a far time zone has no UTC
form. These helpers take plain ASCII digits within bounds, and bring a moment
back inside the range every database stores.
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_BIGINT = 2**63 - 1  # the largest id either database stores
MAX_POSITIVE_INT = 2**31 - 1  # PositiveIntegerField on PostgreSQL

# Inside these, a moment converts to UTC and back without leaving datetime's range.
EARLIEST_MOMENT = datetime(1, 1, 2, tzinfo=UTC)
LATEST_MOMENT = datetime(9999, 12, 30, tzinfo=UTC)


def whole_number(raw: str | None, *, low: int = 0, high: int = MAX_BIGINT) -> int | None:
    """``raw`` as a number from ``low`` to ``high`` if it is ASCII digits only, else None."""
    raw = (raw or "").strip()
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def moment_in_range(when: datetime) -> datetime:
    """``when`` (aware), moved inside the range every database stores.

    Nothing is recorded before year 1 or after 9999, so the answer of a query
    "as of ``when``" is the same at the bound.
    """
    return min(max(when, EARLIEST_MOMENT), LATEST_MOMENT)
