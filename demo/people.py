"""Who is in the demo organisation: teams, people, their roles and the one password.

Plain data with no Django import, so ``scripts/run_dev.py`` can print the login
table without setting Django up.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "mltrl-demo"  # noqa: S105  (a published demo password, never a real one)
ADMIN_USERNAME = "admin"
MANAGER_USERNAME = "morgan"


@dataclass(frozen=True)
class TeamSpec:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    team: str | None
    roles: tuple[str, ...] = ()
    note: str = ""
    maintainer: bool = False  # manages the team's members and role grants


TEAMS: tuple[TeamSpec, ...] = (
    TeamSpec(
        "research",
        "Research",
        "Core ML research: vision, forecasting, recommendation and anomaly detection.",
    ),
    TeamSpec(
        "language-research",
        "Language research",
        "Speech and natural-language models: keyword spotting, translation, summarisation.",
    ),
    TeamSpec(
        "engineering",
        "Engineering",
        "ML platform and application engineering: code quality, interfaces, integration.",
    ),
    TeamSpec(
        "product",
        "Product",
        "Product management: product requirements and use-case validation.",
    ),
    TeamSpec(
        "ethics-ops",
        "Ethics and operations",
        "AI-ethics reviews, deployment, monitoring and runbooks.",
    ),
)

# The owning teams of the demo projects (the others review them).
RESEARCH_TEAMS = ("research", "language-research")

PEOPLE: tuple[Person, ...] = (
    Person("maya", "Maya", "Okafor", "research", ("research-lead",), maintainer=True),
    Person("omar", "Omar", "Haddad", "research", ("research-peer",)),
    Person("rita", "Rita", "Lindqvist", "research", (), "researcher: opens requests"),
    Person("lena", "Lena", "Fischer", "language-research", ("research-lead",), maintainer=True),
    Person("kofi", "Kofi", "Mensah", "language-research", ("research-peer",)),
    Person("tomas", "Tomas", "Novak", "language-research", (), "researcher: opens requests"),
    Person("erik", "Erik", "Johansson", "engineering", ("engineering",), maintainer=True),
    Person("ines", "Ines", "Carvalho", "engineering", ("engineering",)),
    Person("paula", "Paula", "Mendes", "product", ("product",), maintainer=True),
    Person("ethan", "Ethan", "Brooks", "ethics-ops", ("ethics",), maintainer=True),
    Person("olga", "Olga", "Petrova", "ethics-ops", ("operations",)),
    Person(
        MANAGER_USERNAME,
        "Morgan",
        "Reyes",
        None,
        (),
        "portfolio manager: sees every project (read-only)",
    ),
    Person(ADMIN_USERNAME, "Site", "Admin", None, (), "superuser: use this login for /admin/"),
)


def person(username: str) -> Person:
    return next(p for p in PEOPLE if p.username == username)


def logins_table() -> str:
    """The demo logins as an aligned text table, followed by the password."""
    rows = [("username", "team", "roles / what for")]
    for p in PEOPLE:
        what = ", ".join(p.roles)
        if p.maintainer:
            what = f"{what}; maintains {p.team}"
        if p.note:
            what = f"{what} ({p.note})" if what else p.note
        rows.append((p.username, p.team or "-", what))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"  {u:<{widths[0]}}  {t:<{widths[1]}}  {w}" for u, t, w in rows]
    lines.insert(1, "  " + "-" * (widths[0] + widths[1] + 4 + max(len(r[2]) for r in rows)))
    lines += [
        "",
        f"  password for every login: {DEMO_PASSWORD}",
        *(f"  {line}" for line in JOURNEYS),
        f"  admin site (/admin/): log in as '{ADMIN_USERNAME}'",
    ]
    return "\n".join(lines)


# Which login to use for which journey in the browser (printed by ``make run``).
JOURNEYS: tuple[str, ...] = (
    "journeys in the browser:",
    "  sign off a request: 'ethan' (ethics) -> Home, 'Waiting on you' -> Approve / Request"
    " changes / Reject",
    "  open a request, edit the card, register a project: 'rita' (researcher, research)"
    " -> a research project -> 'Ask to advance', 'MLTRL card', Projects -> 'New project'",
    "  resubmit after changes, withdraw: 'rita' on her request's review page",
    "  grant a waiver, review as research lead: 'maya'; engineering: 'erik'; product: 'paula'",
    "  manage a team (members, role grants): 'maya' (maintains research) -> Teams -> research",
    "  notifications: the bell in the header (emails print on the console of make run)",
    f"  every project, read-only: '{MANAGER_USERNAME}'",
)
