"""A large organisation with history, for demos and benchmarks (``manage.py seed_portfolio``).

Teams, people and role grants, and the first project of each team, go through
the services (so group permissions, cards and audit events are the real ones).
The other projects take a bulk path that writes the same rows the services
would: the project, its card and first card version, the team's group
permission rows (copied from the team's first project), and its audit chain,
each event hashed with ``projects.audit.event_digest`` under the current key so
``manage.py verify_audit`` accepts it. Their history (level changes through
approved requests, switchbacks, open requests, check runs, evidence levels,
at-risk flags) is generated from a seeded random source, so a run is
reproducible. Not written on the bulk path: sign-off rows of past approvals
(the audit events record them) and comments.

Modules: ``history`` (what happened to each project), ``check_runs`` (runs,
results, at-risk flags), ``chains`` (the hashed audit chains), ``seeder``
(teams through the services, projects in bulk batches, the rollups rebuilt).
"""

from .seeder import Seeder

__all__ = ["Seeder"]
