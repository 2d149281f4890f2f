"""The webhook endpoints: create (secret once), read, change, delete, log, redeliver;
bad input answers 400 with the field, SSRF targets included."""

from __future__ import annotations

import pytest

from projects import services as project_services
from projects.models import AuditEvent
from reviews import services
from tests.api.conftest import session_client, token_client
from tests.http_receiver import Receiver
from tests.org import SHA_A, admin_actor
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.signing import signing_secret

from .conftest import subscribe, verify

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"


def _create(client, **body):
    body = {"url": "https://8.8.8.8/hook", "events": ["level.changed"], "project": "vision", **body}
    return client.post(URL, body, format="json")


def test_create_shows_the_secret_once_and_stores_only_its_seed(org):
    client = token_client(org.researcher)
    answer = _create(client, events=["request.opened", "level.changed"], description="CI")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) == 70
    assert body["events"] == ["level.changed", "request.opened"]
    assert (body["project"], body["team"], body["owner"]) == ("vision", None, "researcher")
    row = WebhookSubscription.objects.get(pk=body["id"])
    assert (
        body["secret"] not in str(vars(row)) and signing_secret(row.secret_seed) == body["secret"]
    )
    again = client.get(f"{URL}{body['id']}/").json()
    assert again["secret"] is None and again["url"] == "https://8.8.8.8/hook"
    listed = client.get(URL).json()["results"]
    assert [s["id"] for s in listed] == [body["id"]] and "secret" not in listed[0]
    event = AuditEvent.objects.filter(kind="webhook.created").get()
    assert event.payload["host"] == "8.8.8.8" and "url" not in event.payload


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "https://10.0.0.5/h"}, "url", "private address (10.0.0.5)"),
        ({"url": "https://169.254.169.254/latest"}, "url", "link-local address"),
        ({"url": "https://127.0.0.1/h"}, "url", "loopback address"),
        ({"url": "https://[::ffff:192.168.1.1]/h"}, "url", "private address"),
        ({"url": "http://8.8.8.8/h"}, "url", "must use https, not 'http'"),
        ({"url": "ftp://8.8.8.8/h"}, "url", "must use https"),
        ({"url": "https://u:p@8.8.8.8/h"}, "url", "Credentials do not belong"),
        ({"url": "https://nonexistent.invalid/h"}, "url", "does not resolve"),
        ({"url": "https://8.8.8.8:70000/h"}, "url", "invalid port"),
        ({"url": ""}, "url", "may not be blank"),
        ({"url": "x" * 501}, "url", "no more than 500"),
        ({"events": []}, "events", "at least 1"),
        ({"events": ["level.changd"]}, "events.0", "not a valid choice"),
        ({"events": "level.changed"}, "events", "Expected a list"),
        ({"team": "research"}, "project", "exactly one"),
        ({"project": None}, "project", "may not be null"),
        ({"active": "maybe"}, "active", "Must be a valid boolean"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(org, body, field, message):
    answer = _create(session_client(org.researcher), **body)
    assert answer.status_code == 400, answer.content
    assert message in str(answer.json()["fields"][field])
    assert not WebhookSubscription.objects.exists()


def test_team_subscriptions_are_for_maintainers(org):
    lead = org.lead
    research = org.teams["research"]
    body = {"url": "https://8.8.8.8/h", "events": ["level.changed"], "team": "research"}
    refused = session_client(lead).post(URL, body, format="json")
    assert refused.status_code == 403
    assert "maintainer of Research" in refused.json()["message"]
    project_services.membership_maintainer_set(
        team=research, user=lead, is_maintainer=True, actor=admin_actor()
    )
    made = session_client(lead).post(URL, body, format="json")
    assert made.status_code == 201 and made.json()["team"] == "research"
    # A plain member sees no team subscription; a project-restricted token may not make one.
    assert session_client(org.researcher).get(f"{URL}{made.json()['id']}/").status_code == 404
    restricted = token_client(lead, projects=[org.project])
    assert restricted.post(URL, body, format="json").status_code == 403
    assert restricted.get(f"{URL}{made.json()['id']}/").status_code == 404
    unknown = session_client(lead).post(URL, {**body, "team": "nope"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["fields"]["team"] == ["Unknown team."]


def test_patch_changes_fields_rotates_the_secret_and_validates_the_url(org):
    client = token_client(org.researcher)
    made = _create(client).json()
    item = f"{URL}{made['id']}/"
    changed = client.patch(item, {"active": False, "events": ["request.decided"]}, format="json")
    assert changed.status_code == 200
    assert changed.json()["active"] is False and changed.json()["secret"] is None
    rotated = client.patch(item, {"rotate_secret": True}, format="json").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    refused = client.patch(item, {"url": "https://192.168.0.1/h"}, format="json")
    assert refused.status_code == 400 and "private address" in refused.json()["fields"]["url"][0]
    assert WebhookSubscription.objects.get().url == "https://8.8.8.8/hook"
    assert client.delete(item).status_code == 204
    assert client.get(item).status_code == 404


def test_the_delivery_log_and_redelivery(org, loopback_hooks, django_capture_on_commit_callbacks):
    client = token_client(org.researcher)
    with Receiver(statuses=[500, 500, 500, 500, 200]) as server:
        made = _create(client, url=server.url, events=["request.opened"]).json()
        with django_capture_on_commit_callbacks(execute=True):
            services.request_open(
                project=org.project, actor=org.researcher, kind="advance", to_level=1,
                commit_sha=SHA_A,
            )  # fmt: skip
        log = client.get(made["deliveries_url"]).json()["results"]
        assert [(d["status"], d["attempts"]) for d in log] == [("failed", 4)]
        assert [a["response_code"] for a in log[0]["log"]] == [500] * 4
        assert log[0]["log"][0]["duration_ms"] >= 0
        assert log[0]["log"][0]["response_body"] == "answer 1: 500"
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post(log[0]["redeliver_url"])
        assert again.status_code == 202, again.content
        assert again.json()["redelivery_of"] == log[0]["uid"]
        assert verify(made["secret"], server.received[-1][1], server.received[-1][2])
    assert server.received[-1][2] == server.received[0][2]  # the same body
    newest = client.get(made["deliveries_url"] + "?status=delivered").json()["results"]
    assert [(d["status"], d["attempts"], d["response_code"]) for d in newest] == [
        ("delivered", 1, 200)
    ]
    assert WebhookDelivery.objects.count() == 2


def test_a_deleted_subscription_takes_its_log_along(org, receiver):
    made = subscribe(org, receiver.url, ["request.opened"])
    services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    assert WebhookDelivery.objects.count() == 1
    client = session_client(org.researcher)
    assert client.delete(f"{URL}{made.subscription.pk}/").status_code == 204
    assert not WebhookDelivery.objects.exists()
    from webhooks.delivery import delivery_attempt

    assert delivery_attempt(1) is None  # a message for it finds nothing to send


def test_list_query_counts_do_not_grow(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from webhooks.delivery import deliveries_create

    client = token_client(org.researcher)
    client.get("/api/v1/levels/")  # first use of the token writes its last-used time
    hook = subscribe(org, "https://8.8.8.8/h", ["level.changed"]).subscription

    def grow(n):
        for _ in range(n):
            subscribe(org, "https://8.8.8.8/h", ["level.changed"])
            (delivery,) = deliveries_create([hook], event="level.changed", body="{}", event_id=1)
            for number in (1, 2):
                delivery.log.create(number=number, started_at=delivery.created_at, duration_ms=5)
        counts = {}
        for path in (URL, f"{URL}{hook.pk}/deliveries/"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200
            counts[path] = len(ctx.captured_queries)
        return counts

    assert grow(2) == grow(8)


def test_list_filters_on_active_and_refuses_a_value_that_is_not_a_boolean(org):
    client = token_client(org.researcher)
    on = _create(client).json()["id"]
    off = _create(client, active=False).json()["id"]
    for value, expected in (("true", [on]), ("false", [off])):
        answer = client.get(URL, {"active": value})
        assert [s["id"] for s in answer.json()["results"]] == expected, value
    for value in ("maybe", "null"):
        answer = client.get(URL, {"active": value})
        assert answer.status_code == 400 and "active" in answer.json()["fields"], value
