"""Webhook subscriptions over the API (docs/api.md "Webhooks out").

A subscription is visible to those who may manage it
(``projects.permissions.webhook_projects`` / ``webhook_teams``), cut to a
token's project restriction (a restricted token sees no team subscription);
anything else answers 404. Reads need the token scope ``read``, writes
``webhooks:write``. Writes call ``webhooks.services`` as the caller.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from projects.api.base import (
    PAGINATED,
    ApiGenericView,
    ApiView,
    BooleanChoiceFilter,
    api_projects,
    error_responses,
    request_token,
)
from projects.models import Team, TokenScope
from projects.permissions import Action, webhook_teams

from . import services
from .models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from .serializers import (
    DeliveryOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatchIn,
    SubscriptionSecretOut,
)

WRITE = TokenScope.WEBHOOKS_WRITE.value


def _subscriptions(request: Request):
    projects = api_projects(request, Action.CHANGE)
    token = request_token(request)
    teams = Team.objects.none() if token and token.project_ids else webhook_teams(request.user)
    return WebhookSubscription.objects.filter(Q(project__in=projects) | Q(team__in=teams))


def _visible(request: Request, pk: int) -> WebhookSubscription:
    return get_object_or_404(
        _subscriptions(request).select_related("project", "team", "owner"), pk=pk
    )


def _answer(subscription: WebhookSubscription, secret: str = "", code: int = 200) -> Response:
    subscription = WebhookSubscription.objects.select_related("project", "team", "owner").get(
        pk=subscription.pk
    )
    body = SubscriptionSecretOut(subscription, context={"secret": secret}).data
    return Response(body, status=code)


class SubscriptionFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__slug")
    team = django_filters.CharFilter(field_name="team__slug")
    active = BooleanChoiceFilter()

    class Meta:
        model = WebhookSubscription
        fields = ["project", "team", "active"]


class SubscriptionListView(ApiGenericView):
    """Subscriptions the caller manages; POST subscribes a URL (the secret is shown once)."""

    serializer_class = SubscriptionOut
    filterset_class = SubscriptionFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    write_scope = WRITE

    def get_queryset(self):
        return _subscriptions(self.request).select_related("project", "team", "owner")

    @extend_schema(responses={200: SubscriptionOut(many=True), **error_responses(*PAGINATED)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=SubscriptionIn,
        responses={201: SubscriptionSecretOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request) -> Response:
        data = SubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = team = None
        if "project" in values:
            project = get_object_or_404(api_projects(request), slug=values.pop("project"))
        else:
            team = Team.objects.filter(slug=values.pop("team")).first()
            if team is None:
                raise serializers.ValidationError({"team": ["Unknown team."]})
            token = request_token(request)
            if token is not None and token.project_ids:
                raise PermissionDenied(
                    "This token is restricted to projects; team subscriptions need another."
                )
        created = services.subscription_create(
            actor=request.user, project=project, team=team, **values
        )
        return _answer(created.subscription, created.secret, status.HTTP_201_CREATED)


class SubscriptionItemView(ApiGenericView):
    """One subscription: read, change (``rotate_secret`` issues a new secret), delete."""

    write_scope = WRITE

    @extend_schema(responses={200: SubscriptionSecretOut, **error_responses()})
    def get(self, request: Request, pk: int) -> Response:
        return _answer(_visible(request, pk))

    @extend_schema(
        request=SubscriptionPatchIn,
        responses={200: SubscriptionSecretOut, **error_responses(400, 401, 403, 404, 429)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = SubscriptionPatchIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = _visible(request, pk)
        changed = services.subscription_update(
            subscription=subscription, actor=request.user, **data.validated_data
        )
        return _answer(changed.subscription, changed.secret)

    @extend_schema(responses={204: None, **error_responses(401, 403, 404, 429)})
    def delete(self, request: Request, pk: int) -> Response:
        services.subscription_delete(subscription=_visible(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


class DeliveryListView(ApiGenericView):
    """The subscription's delivery log, newest first, each with all its attempts."""

    serializer_class = DeliveryOut
    filterset_class = DeliveryFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller
            return WebhookDelivery.objects.none()
        subscription = _visible(self.request, self.kwargs["pk"])
        return WebhookDelivery.objects.filter(subscription=subscription).prefetch_related(
            "log", "redelivery_of"
        )

    @extend_schema(responses={200: DeliveryOut(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class RedeliverView(ApiView):
    """Send a delivery's body again as a new delivery: 202 with it (follow the log)."""

    write_scope = WRITE

    @extend_schema(
        request=None, responses={202: DeliveryOut, **error_responses(400, 401, 403, 404, 429)}
    )
    def post(self, request: Request, pk: int, delivery: int) -> Response:
        subscription = _visible(request, pk)
        original = get_object_or_404(subscription.deliveries.all(), pk=delivery)
        again = services.delivery_redeliver(delivery=original, actor=request.user)
        return Response(DeliveryOut(again).data, status=status.HTTP_202_ACCEPTED)
