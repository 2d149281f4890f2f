"""The lists behind the dashboard's numbers: projects or requests, with the same filters.

Each dashboard cell links here with its extra parameters (see ``tables.Drill``);
an unknown or malformed parameter is a ``ValidationError`` (400), never a 500.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from gates.models import CheckOutcome, CheckResult, CheckRunStatus
from projects.models import LevelStay
from reviews.models import UNDER_REVIEW_STATES, RequestKind, SignOff, SwitchbackKind, Waiver

from .filters import Filters, ascii_int
from .selectors_projects import GAPS, ended_stays, reached_filter
from .selectors_reviews import EXPIRING_DAYS, requests_in, waiting_on_ids

PROJECT_PARAMS = (
    "in_team",
    "level",
    "reached",
    "gap",
    "at_risk",
    "waiver",
    "failing_check",
    "level_held",
)
REQUEST_PARAMS = (
    "waiting_on",
    "gate",
    "decided",
    "switchback_kind",
    "kind",
    "from",
    "to",
    "stale",
    "waiting",
)


# The longest wait the ``waiting`` parameter takes, in days (as the ``days`` filter).
MAX_WAITING_DAYS = 3650


def _level(raw: str, name: str) -> int:
    level = ascii_int(raw)
    if level is None or not 0 <= level <= 9:
        raise ValidationError(f"{name} must be a level from 0 to 9, not {raw!r}.")
    return level


def _date(raw: str, name: str) -> datetime:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{name} must be a date like 2026-01-31, not {raw!r}.") from None
    return timezone.make_aware(datetime.combine(day, time.min))


def drill_projects(scope: QuerySet, f: Filters, params: QueryDict) -> tuple[QuerySet, list[str]]:
    """The projects behind a number, and a sentence per narrowing applied."""
    said: list[str] = []
    if raw := params.get("in_team", "").strip():
        scope, _ = scope.filter(team__slug=raw), said.append(f"team {raw}")
    if raw := params.get("level", "").strip():
        level = _level(raw, "level")
        scope = scope.filter(level=level)
        said.append(f"at level {level}")
    if raw := params.get("reached", "").strip():
        level = _level(raw, "reached")
        scope = reached_filter(scope, level)
        said.append(f"ever reached level {level}")
    if raw := params.get("gap", "").strip():
        if raw not in GAPS:
            raise ValidationError(f"gap must be one of {', '.join(GAPS)}, not {raw!r}.")
        scope = scope.filter(GAPS[raw][1])
        said.append(GAPS[raw][0].lower())
    if params.get("at_risk", "").strip():
        scope = scope.filter(risk__since__isnull=False)
        said.append("flagged at risk")
    if raw := params.get("waiver", "").strip():
        now = f.now
        window = {
            "expired": Q(expires_at__lte=now),
            "expiring": Q(expires_at__gt=now, expires_at__lte=now + timedelta(days=EXPIRING_DAYS)),
        }.get(raw)
        if window is None:
            raise ValidationError(f"waiver must be expired or expiring, not {raw!r}.")
        ids = Waiver.objects.filter(window, revoked_at__isnull=True).values("project_id")
        scope = scope.filter(pk__in=ids)
        said.append(f"with a waiver {raw}")
    if raw := params.get("failing_check", "").strip():
        ids = CheckResult.objects.filter(
            check_key=raw,
            outcome__in=(CheckOutcome.FAIL, CheckOutcome.ERROR),
            run__status=CheckRunStatus.SUCCEEDED,
            run__finished_at__gte=f.since,
        ).values("run__project_id")
        scope = scope.filter(pk__in=ids)
        said.append(f"{raw} failed on a run in the window")
    if raw := params.get("level_held", "").strip():
        level = _level(raw, "level_held")
        ids = ended_stays(LevelStay.objects.filter(level=level), f).values("project_id")
        scope = scope.filter(pk__in=ids)
        said.append(f"left level {level} within the last {f.days} days (a completed stay)")
    return scope.select_related("team", "risk").order_by("team__name", "name"), said


def drill_requests(scope: QuerySet, f: Filters, params: QueryDict) -> tuple[QuerySet, list[str]]:
    """The requests behind a number, and a sentence per narrowing applied."""
    qs = requests_in(scope)
    said: list[str] = []
    if raw := params.get("waiting_on", "").strip():
        # Roles ("a or b") and scopes hold no "|"; a team's name may.
        roles, _, rest = raw.partition("|")
        team, _, slot_scope = rest.rpartition("|")
        if not (roles and team and slot_scope):
            raise ValidationError(f"waiting_on must be like role|team|scope, not {raw!r}.")
        qs = qs.filter(pk__in=waiting_on_ids(scope, (roles, team, slot_scope)))
        said.append("open, waiting on " + raw.replace("|", ", "))
    if raw := params.get("gate", "").strip():
        if "-" in raw:
            a, _, b = raw.partition("-")
            qs = qs.filter(
                kind=RequestKind.ADVANCE, from_level=_level(a, "gate"), to_level=_level(b, "gate")
            )
        elif raw in RequestKind.values:
            qs = qs.filter(kind=raw)
        else:
            raise ValidationError(f"gate must be like 4-5, entry or switchback, not {raw!r}.")
        said.append(f"gate {raw}")
    if params.get("decided", "").strip():
        qs = qs.filter(decided_at__gte=f.since, decided_at__isnull=False)
        said.append(f"decided in the last {f.days} days")
    if raw := params.get("switchback_kind", "").strip():
        if raw not in SwitchbackKind.values:
            raise ValidationError(
                f"switchback_kind must be one of {', '.join(SwitchbackKind.values)}."
            )
        qs = qs.filter(kind=RequestKind.SWITCHBACK, switchback_kind=raw, state="approved")
        said.append(f"{raw} switchbacks")
    if raw := params.get("kind", "").strip():
        if raw not in RequestKind.values:
            raise ValidationError(f"kind must be one of {', '.join(RequestKind.values)}.")
        qs = qs.filter(kind=raw)
        if raw == RequestKind.SWITCHBACK:
            qs = qs.filter(state="approved")
        said.append(f"{raw} requests")
    if raw := params.get("from", "").strip():
        qs = qs.filter(decided_at__gte=_date(raw, "from"))
        said.append(f"decided from {raw}")
    if raw := params.get("to", "").strip():
        qs = qs.filter(decided_at__lt=_date(raw, "to"))
        said.append(f"decided before {raw}")
    if params.get("stale", "").strip():
        stale = SignOff.objects.filter(active=True, stale=True).values("request_id")
        qs = qs.filter(pk__in=stale, state__in=UNDER_REVIEW_STATES)
        said.append("open with stale approvals")
    if raw := params.get("waiting", "").strip():
        days = ascii_int(raw)
        if days is None or not 0 <= days <= MAX_WAITING_DAYS:
            raise ValidationError(
                f"waiting must be a number of days from 0 to {MAX_WAITING_DAYS}, not {raw!r}."
            )
        qs = qs.filter(state__in=UNDER_REVIEW_STATES, created_at__lte=f.now - timedelta(days=days))
        said.append(f"under review for more than {days} days")
    return qs.select_related("project__team", "requester").order_by("created_at", "pk"), said
