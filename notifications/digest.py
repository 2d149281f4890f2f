"""The daily digest: each reviewer hears of open requests that have waited on them too long.

"Waiting on" is the home page's rule (``reviews.selectors_home.waiting_on``);
"too long" is ``MLTRL_DIGEST_WAITING_HOURS``. One digest notice per person per day.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from projects.models import RoleGrant
from reviews.selectors_home import waiting_on

from .delivery import notify
from .models import Notification, NotificationKind


def digest_send(now=None) -> int:
    """Send today's digests; returns how many people got one."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.MLTRL_DIGEST_WAITING_HOURS)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    already = set(
        Notification.objects.filter(
            kind=NotificationKind.DIGEST, created_at__gte=today
        ).values_list("user_id", flat=True)
    )
    reviewers = (
        get_user_model()
        .objects.filter(is_active=True, pk__in=RoleGrant.objects.values("user_id"))
        .exclude(pk__in=already)
    )
    sent = 0
    for user in reviewers:
        late = [item for item in waiting_on(user) if item.since <= cutoff]
        if not late:
            continue
        lines = [
            f"- #{item.request.pk} {item.request.project.name} "
            f"({item.request.from_level} -> {item.request.to_level}), waiting since "
            f"{item.since:%Y-%m-%d}: {'; '.join(item.slots)}"
            for item in late
        ]
        notify(
            [user],
            kind=NotificationKind.DIGEST,
            title=f"{len(late)} request{'s' if len(late) != 1 else ''} waiting on you",
            body="\n".join(lines),
            url=reverse("reviews:home"),
        )
        sent += 1
    return sent
