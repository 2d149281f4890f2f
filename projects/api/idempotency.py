"""``Idempotency-Key`` for API writes: a retried POST gets the first answer again.

The record is written in the transaction of the write, so a write and its
record commit together. A key belongs to one user and one endpoint (method and
path), as at Stripe: the same key with a different body, or sent to another
endpoint (another project's evidence, say), answers 409 and never replays the
first answer there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from projects.models import IdempotencyRecord

HEADER = "Idempotency-Key"


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_conflict"
    default_detail = "This Idempotency-Key was used with a different body; use a new key."


ENDPOINT_CONFLICT = "This Idempotency-Key was used on another endpoint; use a new key."


def _body_hash(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _endpoint(request: Request) -> str:
    return f"{request.method} {request.path}"


def _replay(record: IdempotencyRecord, endpoint: str, digest: str) -> Response:
    # A record from before endpoints were stored (endpoint "") never replays either.
    if record.endpoint != endpoint:
        raise IdempotencyConflict(ENDPOINT_CONFLICT)
    if record.body_hash != digest:
        raise IdempotencyConflict()
    response = Response(record.response, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: Request, write: Callable[[], Response]) -> Response:
    """Run ``write`` once per (user, key), the key bound to this endpoint; without the
    header, just run it."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return write()
    if len(key) > 200:
        raise exceptions.ValidationError({HEADER: ["At most 200 characters."]})
    digest = _body_hash(request.data)
    endpoint = _endpoint(request)
    found = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if found is not None:
        return _replay(found, endpoint, digest)
    try:
        with transaction.atomic():
            response = write()
            IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                endpoint=endpoint,
                body_hash=digest,
                status_code=response.status_code,
                response=response.data,
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer as it did.
        found = IdempotencyRecord.objects.get(user=request.user, key=key)
        return _replay(found, endpoint, digest)
    return response
