"""The dashboard: every table, over the projects the user may see, narrowed by the filters."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from projects.models import Team
from projects.permissions import projects_for

from . import selectors_projects as sp
from . import selectors_reviews as sr
from .filters import Filters
from .tables import Table

# Table key -> builder, in the order the page shows them.
BUILDERS = {
    "levels": sp.levels_by_team,
    "funnel": sp.funnel,
    "time_in_level": sp.time_in_level,
    "cycle_time": sr.cycle_time,
    "waiting_on": sr.bottlenecks,
    "at_risk": sr.at_risk,
    "switchbacks": sr.switchbacks,
    "checks": sr.check_pass_rates,
    "trend": sp.trend,
    "evidence": sp.evidence_gaps,
}


def portfolio_scope(user: Any, f: Filters, visible: QuerySet | None = None) -> QuerySet:
    """The projects ``user`` may see (``projects/permissions.py``), narrowed by ``f``.
    ``visible`` replaces the user's projects when the caller is narrower than its
    user (the API's project-restricted tokens: ``projects.api.base.api_projects``)."""
    return f.projects(projects_for(user) if visible is None else visible)


def dashboard_tables(
    user: Any, f: Filters, only: str | None = None, visible: QuerySet | None = None
) -> list[Table]:
    """Every table of the dashboard (or the one named ``only``)."""
    scope = portfolio_scope(user, f, visible)
    keys = [only] if only else list(BUILDERS)
    return [BUILDERS[key](scope, f) for key in keys]


def visible_teams(user: Any) -> QuerySet:
    """Teams owning a project the user may see: the team filter's choices.

    One ``EXISTS`` probe of the project-team index per team, not a semi-join over
    every visible project (10,000 in a large organisation, 200 teams).
    """
    return Team.objects.filter(Exists(projects_for(user).filter(team=OuterRef("pk")))).order_by(
        "name"
    )
