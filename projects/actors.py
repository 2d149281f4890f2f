"""Named system actors: who acts when no person does (worker, beat, CI, migrate).

Every write service takes a required ``actor``; background work passes
``system_actor("worker")`` and the like, never ``None``, so the audit log
names who did what. A system actor is a dedicated user ``system:<name>``,
inactive and without a usable password (it can never log in), created on
demand. What each may do is decided in ``projects.permissions``
(``SYSTEM_ACTIONS``) and documented in docs/architecture.md.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .permissions import SYSTEM_ACTIONS, SYSTEM_PREFIX


def system_actor(name: str) -> Any:
    """The system user ``system:<name>`` (created inactive, password unusable)."""
    if name not in SYSTEM_ACTIONS:
        raise ValueError(f"Unknown system actor {name!r}; known: {', '.join(SYSTEM_ACTIONS)}.")
    user_model = get_user_model()
    username = f"{SYSTEM_PREFIX}{name}"
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, is_active=False)
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # another process created it first
            user = user_model.objects.get(username=username)
    return user
