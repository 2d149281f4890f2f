"""schemathesis drives every operation of the generated OpenAPI schema in-process.

Each operation is one test: generated requests (valid and schema-violating) go
through the WSGI application with a real API token (every scope) for the owner
of ``vision``. Checks: no 5xx, every status code, content type, header and body
documented, schema-violating input refused. Business refusals of valid input (a
skipped level, a second active request) are 400s by design, so the
"valid input accepted" check is not run.

Path parameters of valid cases point at objects that exist (the project, its
request and check run, a policy, a portfolio table, a webhook subscription and
its delivery; a waiver, a team subscription and a redelivery are on record) so
the views' own code runs, not only the router's 404, and every list answers
rows: a body is only checked against the schema when there is one. (Without
webhook subscriptions the lists were empty and the details 404s, so nullable
fields declared non-null, such as a project subscription's ``team`` or an
original delivery's ``redelivery_of``, went unnoticed.) The session-only writes
are driven a second time signed in (cookie and CSRF header), so their
validation runs too. Bounded: a few examples per operation, no deadline (the
suite shares two cores).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gates.models import CheckResult, CheckRun, GatePolicyVersion
from projects.services import membership_maintainer_set
from reviews import services
from reviews.waivers import waiver_grant
from tests.api.conftest import token_client
from tests.org import SHA_A, admin_actor
from webhooks.models import WebhookDelivery
from webhooks.services import delivery_redeliver, subscription_create

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
CSRF = "k" * 32  # a CSRF secret: the cookie and the header carry the same one
BOUNDED = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True)
).exclude(path="/api/schema/")  # drf-spectacular's own view
schema.app = get_wsgi_application()
# Writes only a person signed in may make (tokens get 403 before the body is read).
SESSION_ONLY = schema.include(
    path_regex=r"^/api/v1/(projects/|projects/\{slug\}/(card/)?|policies/\{key\}/import/"
    r"|requests/\{id\}/signoffs/)$",
    method=["POST", "PATCH"],
)


@pytest.fixture
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request (Django's
    test client does not); in a test that would close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def known(org, settings, _keep_the_test_connection):
    """Objects the valid path parameters name, and a host the WSGI client may use."""
    settings.ALLOWED_HOSTS = ["localhost"]
    research = org.teams["research"]
    membership_maintainer_set(
        team=research, user=org.researcher, is_maintainer=True, actor=admin_actor()
    )
    hook = subscription_create(
        actor=org.researcher,
        url="https://8.8.8.8/h",
        events=["request.opened"],
        project=org.project,
    ).subscription
    subscription_create(
        actor=org.researcher, url="https://8.8.8.8/t", events=["level.changed"], team=research
    )
    level_request = services.request_open(
        project=org.project, actor=org.researcher, kind="advance", to_level=1, commit_sha=SHA_A
    )
    run = CheckRun.objects.create(
        project=org.project, commit_sha=SHA_A, request_id=level_request.pk, status="succeeded"
    )
    CheckResult.objects.create(run=run, check_key="readme_purpose", outcome="fail", message="No.")
    waiver_grant(
        project=org.project,
        check_key="readme_purpose",
        actor=org.lead,
        reason="In the wiki.",
        expires_at=timezone.now() + timedelta(days=30),
    )
    delivery = WebhookDelivery.objects.get(subscription=hook)
    delivery_redeliver(delivery=delivery, actor=org.researcher)  # redelivery_of set
    browser = Client()
    browser.force_login(org.researcher)
    return {
        "token": token_client(org.researcher).token_text,
        "session": browser.cookies["sessionid"].value,
        "slug": org.project.slug,
        "id": level_request.pk,
        "run": run.pk,
        "key": GatePolicyVersion.objects.values_list("policy__key", flat=True).first(),
        "hook": hook.pk,
        "delivery": delivery.pk,
    }


def _point_at_known(case, known: dict) -> None:
    """Valid path parameters name existing objects (invalid ones stay as generated)."""
    meta = case.meta
    path = meta.components.get(ParameterLocation.PATH) if meta else None
    if not case.path_parameters or (path is not None and not path.mode.is_positive):
        return
    for name in case.path_parameters:
        if name == "key" and case.path.startswith("/api/v1/portfolio/"):
            continue  # an enum of the table names: every generated value exists
        if name == "id" and case.path.startswith("/api/v1/runs/"):
            case.path_parameters[name] = known["run"]
        elif name == "id" and case.path.startswith("/api/v1/webhooks/"):
            case.path_parameters[name] = known["hook"]
        elif name in known:
            case.path_parameters[name] = known[name]


@schema.parametrize()
@BOUNDED
def test_operation_with_a_token(case, known):
    _point_at_known(case, known)
    case.call_and_validate(headers={"Authorization": f"Bearer {known['token']}"}, checks=CHECKS)


@SESSION_ONLY.parametrize()
@BOUNDED
def test_session_only_write_signed_in(case, known):
    _point_at_known(case, known)
    cookies = {"sessionid": known["session"], "csrftoken": CSRF}
    case.call_and_validate(headers={"X-CSRFToken": CSRF}, cookies=cookies, checks=CHECKS)
