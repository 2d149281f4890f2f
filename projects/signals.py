"""Signals projects sends so that higher layers (reviews) can react without being imported.

``card_changed(project_id)`` fires after the commit of a transaction that edited
a project's MLTRL card: a request waiting only on a card section may now hold.
``role_revoked(user_id)`` fires after the commit of a transaction that took a
review role from a user: their sign-offs on open requests may no longer count.
"""

from django.dispatch import Signal

card_changed = Signal()
role_revoked = Signal()
