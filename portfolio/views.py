"""Portfolio pages: the dashboard, the lists behind its numbers, and CSV exports.

Every page reads through ``portfolio.dashboard`` (scoped by
``projects/permissions.py``) and shares the filters of ``portfolio.filters``; a
malformed filter answers 400 with the sentence saying what was wrong.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from projects.levels import HIGHEST_LEVEL, LEVELS, LOWEST_LEVEL, Phase
from projects.models import ProjectStatus

from .charts import chart_for
from .dashboard import BUILDERS, dashboard_tables, portfolio_scope, visible_teams
from .drill import drill_projects, drill_requests
from .filters import WINDOWS, Filters, filters_parse
from .tables import Table


def _bad(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return render(request, "portfolio/bad_filter.html", {"errors": error.messages}, status=400)


def _links(table: Table, f: Filters) -> list[dict[str, str]]:
    """For each row: column -> URL of the list behind that number."""
    bases = {target: reverse("portfolio:" + target) for target in ("projects", "requests")}
    out = []
    for i in range(len(table.rows)):
        out.append(
            {
                col: f"{bases[target]}?{f.query(**extra)}"
                for col, (target, extra) in table.drill(i).items()
            }
        )
    return out


# The page shows at most this many rows per table (a large organisation has hundreds
# of teams); the CSV and the JSON carry every row.
PAGE_ROWS = 25


def _shown(table: Table) -> Table:
    """The rows the page shows: the first ``PAGE_ROWS`` (for teams, the largest)."""
    if len(table.rows) <= PAGE_ROWS:
        return table
    order = list(range(len(table.rows)))
    if table.key == "levels":
        order.sort(key=lambda i: -table.rows[i]["total"])
    keep = sorted(order[:PAGE_ROWS]) if table.key != "levels" else order[:PAGE_ROWS]
    return Table(
        table.key,
        table.title,
        table.columns,
        [table.rows[i] for i in keep],
        [table.drills[i] for i in keep],
        table.note,
    )


def _cell(value: Any, link: str | None, header: bool) -> SafeString:
    """One cell's HTML: the row's first cell is its header; a number links to its list.

    Built here rather than in the template: a page shows about 1,500 cells, and
    five template nodes per cell were a third of the page's rendering time.
    """
    shown = "-" if value is None else value
    inner = format_html('<a href="{}">{}</a>', link, shown) if link else conditional_escape(shown)
    if header:
        return format_html('<th scope="row">{}</th>', inner)
    return format_html('<td class="num">{}</td>', inner)


def _cells(table: Table, f: Filters) -> list[list[SafeString]]:
    """Rows as lists of cell HTML in column order."""
    keys = [key for key, _ in table.columns]
    return [
        [_cell(row.get(key), links.get(key), i == 0) for i, key in enumerate(keys)]
        for row, links in zip(table.rows, _links(table, f), strict=True)
    ]


def _filter_context(request: HttpRequest, f: Filters) -> dict[str, Any]:
    return {
        "f": f,
        "teams": visible_teams(request.user),
        "phases": Phase.choices,
        "statuses": ProjectStatus.choices,
        "levels": range(LOWEST_LEVEL, HIGHEST_LEVEL + 1),
        # The current window is always an option (any 1-3650 is valid), so the form
        # shows it and Apply keeps it.
        "windows": sorted({*WINDOWS, f.days}),
        "query": f.query(),
    }


@require_GET
@login_required
def index(request: HttpRequest) -> HttpResponse:
    try:
        f = filters_parse(request.GET)
    except ValidationError as error:
        return _bad(request, error)
    sections = [
        {
            "table": t,
            "rows": _cells(_shown(t), f),
            "total_rows": len(t.rows),
            "chart": chart_for(t),
        }
        for t in dashboard_tables(request.user, f)
    ]
    return render(
        request,
        "portfolio/index.html",
        {"sections": sections, **_filter_context(request, f)},
    )


@require_GET
@login_required
def table_csv(request: HttpRequest, key: str) -> HttpResponse:
    if key not in BUILDERS:
        raise Http404("No such portfolio table.")
    try:
        f = filters_parse(request.GET)
    except ValidationError as error:
        return HttpResponse("\n".join(error.messages) + "\n", status=400, content_type="text/plain")
    (table,) = dashboard_tables(request.user, f, only=key)
    response = HttpResponse(table.as_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{key}.csv"'
    return response


@require_GET
@login_required
def projects(request: HttpRequest) -> HttpResponse:
    try:
        f = filters_parse(request.GET)
        qs, said = drill_projects(portfolio_scope(request.user, f), f, request.GET)
    except ValidationError as error:
        return _bad(request, error)
    return _list(request, f, qs, said, "portfolio/drill_projects.html")


@require_GET
@login_required
def requests(request: HttpRequest) -> HttpResponse:
    try:
        f = filters_parse(request.GET)
        qs, said = drill_requests(portfolio_scope(request.user, f), f, request.GET)
    except ValidationError as error:
        return _bad(request, error)
    return _list(request, f, qs, said, "portfolio/drill_requests.html")


def _list(request, f, qs, said, template) -> HttpResponse:
    page = Paginator(qs, settings.MLTRL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "page": page,
            "said": said,
            "level_names": {info.number: info.name for info in LEVELS},
            **_filter_context(request, f),
            "query": query.urlencode(),
            "back": f.query(),
        },
    )
