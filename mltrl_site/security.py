"""The web edge: the login throttle's client address and backend.

django-axes counts failed logins per account and per client address. Behind the
TLS proxy every request comes from the proxy, so the client address is taken
from ``X-Forwarded-For`` only when the request arrived from an address listed in
``MLTRL_TRUSTED_PROXIES`` (the same proxy gunicorn trusts); anyone else could
write that header and pick a fresh address for every guess.
"""

from __future__ import annotations

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.MLTRL_TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The address the login throttle counts: the peer, or what a trusted proxy reports.

    The proxy appends the peer it saw to ``X-Forwarded-For``; the right-most entry
    is therefore the one the trusted proxy wrote, whatever the client sent before it.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_trusted_proxy(remote):
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return remote
    return remote


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lock-out check for every login over HTTP.

    ``authenticate`` without a request (the test client's ``login``, scripts)
    is no HTTP login attempt and has no address to count; it passes through to
    the password check instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


MESSAGE = (
    "Too many failed sign-in attempts for this account or from this address. "
    "Sign-in is locked for {minutes} minutes; try again later or ask an administrator."
)


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return MESSAGE.format(minutes=minutes)


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """The page a locked-out sign-in gets: 429 and the message, in the admin's frame."""
    from django.contrib import admin
    from django.shortcuts import render

    context = {**admin.site.each_context(request), "message": lockout_message()}
    return render(request, "registration/locked_out.html", context, status=429)
