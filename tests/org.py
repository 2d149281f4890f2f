"""A small organisation for tests, built through the real services.

People (team: roles):
- ``researcher``  research: (none)      - opens requests
- ``lead``        research: research-lead
- ``peer``        research: research-peer
- ``eng``/``eng2`` engineering: engineering
- ``prod``        product: product
- ``ethicist``    ethics-ops: ethics
- ``ops``         ethics-ops: operations
- ``outsider``    no team
- ``manager``     no team, global view permission (portfolio)
- ``org-admin``   superuser (``admin_actor()``): builds the organisation
Project ``vision`` is owned by research and reviewed by the three other teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from projects import services
from projects.models import Project, ReviewRole, Team

SHA_A = "a" * 40
SHA_B = "b" * 40


@dataclass
class Org:
    teams: dict[str, Team] = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    project: Project | None = None

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def role(self, key: str) -> ReviewRole:
        return ReviewRole.objects.get(key=key)


def admin_actor():
    """The organisation's administrator (a superuser): creates teams, grants roles."""
    user_model = get_user_model()
    admin = user_model.objects.filter(username="org-admin").first()
    return admin or user_model.objects.create_superuser("org-admin", password="pw")


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username, password="pw", **extra)


def build_org() -> Org:
    org = Org()
    for slug, name in [
        ("research", "Research"),
        ("engineering", "Engineering"),
        ("product", "Product"),
        ("ethics-ops", "Ethics and operations"),
    ]:
        org.teams[slug] = services.team_create(slug=slug, name=name, actor=admin_actor())
    people = [
        ("researcher", "research", []),
        ("lead", "research", ["research-lead"]),
        ("peer", "research", ["research-peer"]),
        ("eng", "engineering", ["engineering"]),
        ("eng2", "engineering", ["engineering"]),
        ("prod", "product", ["product"]),
        ("ethicist", "ethics-ops", ["ethics"]),
        ("ops", "ethics-ops", ["operations"]),
    ]
    for username, team_slug, roles in people:
        user = make_user(username)
        org.users[username] = user
        team = org.teams[team_slug]
        services.membership_add(team=team, user=user, actor=admin_actor())
        for key in roles:
            services.role_grant(
                team=team, user=user, role=ReviewRole.objects.get(key=key), actor=admin_actor()
            )
    org.users["outsider"] = make_user("outsider")
    manager = make_user("manager")
    manager.user_permissions.add(
        Permission.objects.get(content_type__app_label="projects", codename="view_project")
    )
    org.users["manager"] = manager
    org.project = services.project_create(
        team=org.teams["research"],
        slug="vision",
        name="Vision model",
        actor=org.users["researcher"],
        reviewer_teams=[org.teams["engineering"], org.teams["product"], org.teams["ethics-ops"]],
    )
    return org
