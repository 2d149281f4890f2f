"""Named system actors: who acts when no person does (worker, beat, CI, migrate).

Every write service takes a required ``actor``; background work passes
``system_actor("worker")`` and the like, never ``None``, so the audit log
names who did what. A system actor is a dedicated user ``system:<name>``,
inactive and without a usable password (it can never log in), created on
demand. What each may do is decided in ``projects.permissions``
(``SYSTEM_ACTIONS``) and documented in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .permissions import SYSTEM_ACTIONS, SYSTEM_PREFIX

# name -> user, while ``system_actors_cached()`` is open (one check run, say).
_cached: ContextVar[dict[str, Any] | None] = ContextVar("mltrl_system_actors", default=None)


@contextmanager
def system_actors_cached() -> Iterator[None]:
    """Within this block each system actor is looked up once (a check run asks for
    ``worker`` in the engine and in several signal receivers). Only users found
    already stored are kept: one created here could vanish with a rolled-back
    transaction."""
    token = _cached.set({})
    try:
        yield
    finally:
        _cached.reset(token)


def system_actor(name: str) -> Any:
    """The system user ``system:<name>`` (created inactive, password unusable)."""
    if name not in SYSTEM_ACTIONS:
        raise ValueError(f"Unknown system actor {name!r}; known: {', '.join(SYSTEM_ACTIONS)}.")
    cache = _cached.get()
    if cache is not None and name in cache:
        return cache[name]
    user_model = get_user_model()
    username = f"{SYSTEM_PREFIX}{name}"
    user = user_model.objects.filter(username=username).first()
    if user is not None and cache is not None:
        cache[name] = user
    if user is None:
        user = user_model(username=username, is_active=False)
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # another process created it first
            user = user_model.objects.get(username=username)
    return user
