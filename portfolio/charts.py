"""Server-rendered SVG charts: geometry computed here, drawn by ``_chart.html``.

No JavaScript and no external files: each chart is an inline ``<svg>`` with a
``<title>`` and ``<desc>``, labelled axes and a legend; colours come from CSS
classes (``s0`` ... ``s9``, a colour-blind-safe palette in ``mltrl.css``) so
the charts print. The table beside each chart carries the same numbers.
"""

from __future__ import annotations

import math
from typing import Any

from projects.levels import LEVELS, Phase

from .tables import Table

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 36, 64
SERIES_CLASSES = 10
STACKED_TEAMS = SERIES_CLASSES - 1  # the levels chart stacks these, the rest as one series


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def stacked_bars(
    key: str,
    title: str,
    desc: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    x_label: str,
    y_label: str,
    bands: list[tuple[str, int, int]] | None = None,
) -> dict[str, Any]:
    """Vertical bars, one per category, stacked by series; ``bands`` mark category ranges."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    top = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(categories), 1)
    bar_w = slot * 0.7
    bars = []
    for i, category in enumerate(categories):
        y = TOP + plot_h
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            bars.append(
                {
                    "x": round(LEFT + i * slot + (slot - bar_w) / 2, 1),
                    "y": round(y, 1),
                    "w": round(bar_w, 1),
                    "h": round(h, 1),
                    "cls": f"s{s % SERIES_CLASSES}",
                    "label": f"{name}, {category}: {_fmt(value)}",
                }
            )
    return {
        "key": key,
        "title": title,
        "desc": desc,
        "width": WIDTH,
        "height": HEIGHT,
        "bars": bars,
        "plot": {"x0": LEFT, "x1": LEFT + plot_w, "y0": TOP, "y1": TOP + plot_h},
        "x_ticks": [
            {"x": round(LEFT + (i + 0.5) * slot, 1), "label": c} for i, c in enumerate(categories)
        ],
        "y_ticks": [
            {"y": round(TOP + plot_h - plot_h * t / top, 1), "label": _fmt(t)} for t in _ticks(top)
        ],
        "x_label": {"x": LEFT + plot_w / 2, "y": HEIGHT - 8, "text": x_label},
        "y_label": {"x": 14, "y": TOP + plot_h / 2, "text": y_label},
        "legend": [
            {
                "y": TOP + 16 * s,
                "x": WIDTH - RIGHT + 12,
                "cls": f"s{s % SERIES_CLASSES}",
                "label": n,
            }
            for s, (n, _) in enumerate(series[:14])
        ],
        "bands": [
            {
                "x": round(LEFT + a * slot + 2, 1),
                "w": round((b - a + 1) * slot - 4, 1),
                "tx": round(LEFT + (a + (b - a + 1) / 2) * slot, 1),
                "y": TOP + plot_h + 24,
                "label": label,
            }
            for label, a, b in (bands or [])
        ],
    }


def phase_bands() -> list[tuple[str, int, int]]:
    """The four MLTRL phases as ranges of levels."""
    out = []
    for phase in Phase:
        levels = [info.number for info in LEVELS if info.phase == phase]
        out.append((phase.label, min(levels), max(levels)))
    return out


def chart_for(table: Table) -> dict[str, Any] | None:
    """The chart drawn beside ``table`` (None for tables shown only as tables)."""
    levels = [str(n) for n in range(10)]
    if table.key == "levels":
        rows = sorted(table.rows, key=lambda r: -r["total"])
        series = [(r["team"], [r[f"l{n}"] for n in range(10)]) for r in rows[:STACKED_TEAMS]]
        if len(rows) > STACKED_TEAMS:  # one stack for the rest: colours stay distinct
            rest = rows[STACKED_TEAMS:]
            series.append(
                (f"{len(rest)} other teams", [sum(r[f"l{n}"] for r in rest) for n in range(10)])
            )
        return stacked_bars(
            "levels",
            table.title,
            "Number of projects at each level 0 to 9, stacked by team (the largest "
            f"{STACKED_TEAMS}, then the others together); phases marked under the axis.",
            levels,
            series,
            x_label="Level",
            y_label="Projects",
            bands=phase_bands(),
        )
    if table.key == "trend":
        weeks = [r["week"][5:] for r in table.rows]
        series = [(f"Level {n}", [r[f"l{n}"] for r in table.rows]) for n in range(10)]
        return stacked_bars(
            "trend",
            table.title,
            "Projects at each level at the end of each week.",
            weeks,
            series,
            x_label="Week ending (month-day)",
            y_label="Projects",
        )
    single = {
        "funnel": ("level", "reached", "Level", "Projects that reached it"),
        "time_in_level": ("level", "median", "Level", "Median days"),
        "cycle_time": ("gate", "median", "Gate", "Median days"),
        "checks": ("check", "failed", "Check", "Failed results"),
        "evidence": ("gap", "projects", "", "Projects"),
    }
    if table.key in single:
        x, y, x_label, y_label = single[table.key]
        rows = table.rows[:12]
        categories = [str(r[x]) if table.key != "checks" else str(r[x])[:10] for r in rows]
        return stacked_bars(
            table.key,
            table.title,
            f"{y_label} per {x_label.lower() or 'group'}.",
            categories,
            [(y_label, [r[y] or 0 for r in rows])],
            x_label=x_label,
            y_label=y_label,
        )
    if table.key == "switchbacks":
        kinds = [k for k, _ in table.columns[1:-1]]
        series = [(k.title(), [r[k] for r in table.rows]) for k in kinds]
        return stacked_bars(
            "switchbacks",
            table.title,
            "Approved switchbacks per period, stacked by kind.",
            [r["period"][5:] for r in table.rows],
            series,
            x_label="Period",
            y_label="Switchbacks",
        )
    return None
