"""Notification pages: the in-app list (mark read) and the email setting."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from .models import Notification, NotificationSettings


@require_http_methods(["GET"])
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "query": ""})


@require_POST
@login_required
def mark_read(request: HttpRequest) -> HttpResponse:
    """Mark every notice read (only the signed-in user's own)."""
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications:list")


class SettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["email_enabled"]


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs, _ = NotificationSettings.objects.get_or_create(user=request.user)
    form = SettingsForm(request.POST if request.method == "POST" else None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
