"""The unread count in the header (one query per page, for signed-in users)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import Notification


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
    }
