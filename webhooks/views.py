"""The browser page of a project's webhooks: subscribe (the secret is shown once),
delete, and the recent delivery log with redelivery.

Only people who may manage the project's webhooks see the page; for everyone
else it does not exist (404), like any page of a project they may not see.
Every action calls one ``webhooks.services`` function.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects.models import Project
from projects.permissions import Action, project_for, user_can

from . import services
from .models import WebhookDelivery, WebhookEvent

RECENT = 25


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="Target URL",
        max_length=500,
        help_text="https, on a host with public addresses only.",
    )
    events = forms.MultipleChoiceField(
        label="Events", choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label="Description (optional)", max_length=200, required=False)


def _project(request: HttpRequest, slug: str) -> Project:
    project = project_for(request.user, Action.VIEW, slug=slug)
    if not user_can(request.user, Action.CHANGE, project):
        raise Http404("No such page.")
    return project


@require_http_methods(["GET", "POST"])
@login_required
def project_webhooks(request: HttpRequest, slug: str) -> HttpResponse:
    project = _project(request, slug)
    form = SubscriptionForm(request.POST if request.method == "POST" else None)
    secret, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = services.subscription_create(
                    actor=request.user, project=project, **form.cleaned_data
                )
                secret, status, form = created.secret, 201, SubscriptionForm()
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                for item in exc.error_list:
                    field = item.code if item.code in form.fields else None
                    form.add_error(field, item.messages[0])
    context = {
        "project": project,
        "form": form,
        "secret": secret,
        "subscriptions": project.webhooks.select_related("owner"),
        "deliveries": WebhookDelivery.objects.filter(subscription__project=project)
        .select_related("subscription")
        .order_by("-created_at", "-pk")[:RECENT],
    }
    response = render(request, "webhooks/project_webhooks.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a new subscription's secret
    return response


@require_POST
@login_required
def subscription_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = _project(request, slug)
    subscription = get_object_or_404(project.webhooks, pk=pk)
    services.subscription_delete(subscription=subscription, actor=request.user)
    return redirect("webhooks:project", project.slug)


@require_POST
@login_required
def delivery_redeliver(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    project = _project(request, slug)
    delivery = get_object_or_404(WebhookDelivery, pk=pk, subscription__project=project)
    try:
        services.delivery_redeliver(delivery=delivery, actor=request.user)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return redirect("webhooks:project", project.slug)
