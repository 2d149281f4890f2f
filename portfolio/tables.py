"""A dashboard table: columns, rows, and for each number the list behind it.

Every figure of the portfolio is a cell of a ``Table``; the page renders it (and a
chart from it), the CSV export writes it, the API returns it. A cell may name
its drill-down: ``("projects" | "requests", {extra query parameters})``, which
the views turn into a link to the list page with the dashboard's filters. A row's
drills may be given as a function that makes them: the page links only the rows
it shows (25 of a large organisation's hundreds), and the CSV and JSON none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Drill = tuple[str, dict[str, Any]]
Drills = dict[str, Drill] | Callable[[], dict[str, Drill]]


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (key, label)
    rows: list[dict[str, Any]] = field(default_factory=list)
    drills: list[Drills] = field(default_factory=list)  # parallel to rows
    note: str = ""

    def add(self, row: dict[str, Any], drill: Drills | None = None) -> None:
        self.rows.append(row)
        self.drills.append(drill or {})

    def drill(self, i: int) -> dict[str, Drill]:
        """Row ``i``'s drills: column -> (list, extra query parameters)."""
        drills = self.drills[i]
        return drills() if callable(drills) else drills

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "columns": [{"key": k, "label": label} for k, label in self.columns],
            "rows": self.rows,
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([label for _, label in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(row.get(k)) for k, _ in self.columns])
        return out.getvalue()


def _csv_cell(value: Any) -> Any:
    """Plain values; a leading formula character is quoted so spreadsheets do not run it."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile, as PostgreSQL's ``percentile_cont`` (SQLite path)."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
