"""``Idempotency-Key`` for API writes: a retried POST gets the first answer again.

The record is written in the transaction of the write, so a write and its
record commit together; the same key with a different body answers 409.
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


def _body_hash(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.body_hash != digest:
        raise IdempotencyConflict()
    response = Response(record.response, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: Request, write: Callable[[], Response]) -> Response:
    """Run ``write`` once per (user, key); without the header, just run it."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return write()
    if len(key) > 200:
        raise exceptions.ValidationError({HEADER: ["At most 200 characters."]})
    digest = _body_hash(request.data)
    found = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
    if found is not None:
        return _replay(found, digest)
    try:
        with transaction.atomic():
            response = write()
            IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                body_hash=digest,
                status_code=response.status_code,
                response=response.data,
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer as it did.
        return _replay(IdempotencyRecord.objects.get(user=request.user, key=key), digest)
    return response
