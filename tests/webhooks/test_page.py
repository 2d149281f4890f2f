"""The project's webhooks page: who sees it, subscribing (secret once), form errors,
delete and redeliver through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webhooks.delivery import deliveries_create
from webhooks.models import WebhookDelivery, WebhookSubscription

from .conftest import subscribe

pytestmark = pytest.mark.django_db

PAGE = "/projects/vision/webhooks/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "status"),
    [("researcher", 200), ("eng", 404), ("outsider", 404), ("manager", 404)],
)
def test_only_those_who_may_change_the_project_see_the_page(org, who, status):
    assert _client(org.users[who]).get(PAGE).status_code == status
    project_page = _client(org.users[who]).get(reverse("projects:detail", args=["vision"]))
    assert (PAGE in project_page.content.decode()) is (status == 200)


def test_anonymous_visitors_are_sent_to_sign_in():
    answer = Client().get(PAGE)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_subscribing_shows_the_secret_once(org):
    client = _client(org.researcher)
    answer = client.post(
        PAGE, {"url": "https://8.8.8.8/in", "events": ["level.changed", "request.opened"]}
    )
    assert answer.status_code == 201
    page = answer.content.decode()
    assert 'id="webhook-secret">whsec_' in page and "https://8.8.8.8/in" in page
    assert answer["Cache-Control"] == "no-store"  # never kept by a browser or a proxy
    assert "whsec_" not in client.get(PAGE).content.decode()
    assert WebhookSubscription.objects.get().events == ["level.changed", "request.opened"]


def test_a_refused_url_is_a_form_error_beside_the_field(org):
    answer = _client(org.researcher).post(
        PAGE, {"url": "https://169.254.169.254/latest", "events": ["level.changed"]}
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "There is a problem" in page and "link-local address (169.254.169.254)" in page
    assert 'href="#id_url"' in page
    empty = _client(org.researcher).post(PAGE, {"url": "https://8.8.8.8/in"})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_delete_and_redeliver_from_the_page(org):
    hook = subscribe(org, "https://8.8.8.8/in", ["level.changed"]).subscription
    (delivery,) = deliveries_create([hook], event="level.changed", body="{}", event_id=None)
    client = _client(org.researcher)
    assert "level.changed" in client.get(PAGE).content.decode()
    assert _client(org.eng).post(f"{PAGE}deliveries/{delivery.pk}/redeliver/").status_code == 404
    answer = client.post(f"{PAGE}deliveries/{delivery.pk}/redeliver/")
    assert answer.status_code == 302
    assert WebhookDelivery.objects.filter(redelivery_of=delivery).exists()
    assert client.get(f"{PAGE}{hook.pk}/delete/").status_code == 405
    assert _client(org.eng).post(f"{PAGE}{hook.pk}/delete/").status_code == 404
    assert client.post(f"{PAGE}{hook.pk}/delete/").status_code == 302
    assert not WebhookSubscription.objects.exists()
