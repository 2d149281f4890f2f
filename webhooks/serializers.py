"""Request and response bodies of the webhook endpoints (``webhooks.api``)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.api.base import StrictInput

from .models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEvent
from .models import WebhookSubscription as Subscription

EVENTS = serializers.ListField(
    child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=10
)


class SubscriptionIn(StrictInput):
    url = serializers.CharField(max_length=500, help_text="https (global addresses only).")
    events = EVENTS
    project = serializers.SlugField(required=False, help_text="Subscribe to one project ...")
    team = serializers.SlugField(required=False, help_text="... or to every project of a team.")
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    active = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs: dict) -> dict:
        if ("project" in attrs) == ("team" in attrs):
            raise serializers.ValidationError(
                {"project": ["Give either a project or a team (exactly one)."]}
            )
        return attrs


class SubscriptionPatchIn(StrictInput):
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=10,
        required=False,
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(
        required=False, default=False, help_text="Issue a new secret (in the answer, once)."
    )


class SubscriptionOut(serializers.ModelSerializer):
    # Exactly one of the two is set; the other is null.
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    owner = serializers.CharField(source="owner.username")
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))
    deliveries_url = serializers.SerializerMethodField()

    class Meta:
        model = Subscription
        fields = [
            "id",
            "url",
            "description",
            "events",
            "active",
            "project",
            "team",
            "owner",
            "created_at",
            "updated_at",
            "deliveries_url",
        ]

    def get_deliveries_url(self, obj: Subscription) -> str:
        return reverse("api-webhook-deliveries", kwargs={"pk": obj.pk})


class SubscriptionSecretOut(SubscriptionOut):
    secret = serializers.SerializerMethodField(
        help_text="The signing secret: only in the answer that created or rotated it."
    )

    class Meta(SubscriptionOut.Meta):
        fields = [*SubscriptionOut.Meta.fields, "secret"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, obj: Subscription) -> str | None:
        return self.context.get("secret") or None


# Integers are declared, not derived: a model field's range differs between databases
# and would make the committed schema depend on the one it was generated on.
class AttemptOut(serializers.ModelSerializer):
    number = serializers.IntegerField()
    duration_ms = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True)

    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "started_at",
            "duration_ms",
            "address",
            "response_code",
            "response_body",
            "error",
        ]


class DeliveryOut(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True)
    event_id = serializers.IntegerField(allow_null=True, help_text="The audit event reported.")
    log = AttemptOut(many=True, help_text="Every attempt, first to last.")
    redelivery_of = serializers.SlugRelatedField(
        slug_field="uid",
        read_only=True,
        allow_null=True,
        help_text="The uid of the delivery this one sends again; null on an original.",
    )
    redeliver_url = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "uid",
            "event",
            "event_id",
            "status",
            "attempts",
            "response_code",
            "error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "redelivery_of",
            "log",
            "redeliver_url",
        ]

    def get_redeliver_url(self, obj: WebhookDelivery) -> str:
        return reverse(
            "api-webhook-redeliver", kwargs={"pk": obj.subscription_id, "delivery": obj.pk}
        )
