"""One error format for the whole API: ``{"code", "message", "fields"?}``.

Service refusals map to HTTP as the permission entry point intends:
``Http404`` (not visible) 404, ``PermissionDenied`` (visible, not allowed) 403,
``ValidationError`` 400 with field errors when the error names fields.
Throttling answers 429 with ``Retry-After``. A body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` answers 413; Django's other refusals of a request
(``SuspiciousOperation``: too many form fields, ...) a 400, both in this format,
in a view (``exception_handler``) or before one (``bad_request``, ``handler400``).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [m for v in detail for m in _messages(v)]
    return [str(detail)]


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as one flat list of sentences per field. Errors inside a nested
    object or a list of objects are keyed by their path (``metrics.loss``,
    ``components.0``), so every value is a list of strings, as the schema says."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(v, dict | list) for v in detail):
        if all(isinstance(v, dict) for v in detail):  # errors of a list of objects, by index
            for index, value in enumerate(detail):
                if value:
                    out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        else:  # a service's ValidationError of a list: nested messages, flattened
            out[prefix] = _messages(detail)
    else:
        out[prefix] = _messages(detail)
    return out


def _first_message(fields: dict) -> str:
    for name, errors in fields.items():
        first = errors[0] if errors else "invalid."
        return first if name in ("non_field_errors", "__all__") else f"{name}: {first}"
    return "Invalid input."


def django_validation_to_drf(
    error: DjangoValidationError, sent: frozenset[str] = frozenset()
) -> exceptions.ValidationError:
    """A service's ``ValidationError`` as DRF's, keeping the fields it names: the keys
    of a dict error, or an error's ``code`` when it names a field the caller sent (as
    the repository URL check does)."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {
                ("non_field_errors" if k == "__all__" else k): v
                for k, v in error.message_dict.items()
            }
        )
    fields: dict[str, list[str]] = {}
    for item in error.error_list:
        name = item.code if item.code in sent else "non_field_errors"
        fields.setdefault(name, []).extend(item.messages)
    return exceptions.ValidationError(fields)


def _sent_fields(context: dict) -> frozenset[str]:
    request = context.get("request")
    try:
        data = request.data if request is not None else {}
    except exceptions.ParseError:  # an unparseable body names no field
        return frozenset()
    return frozenset(data.keys()) if hasattr(data, "keys") else frozenset()


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _too_large() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"The body is larger than {limit:,} bytes." if limit else "The body is too large."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(_too_large())
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc) or "The request was refused.")
    elif isinstance(exc, DjangoValidationError):
        exc = django_validation_to_drf(exc, _sent_fields(context))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may not do this.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
        body: dict[str, Any] = {
            "code": "invalid",
            "message": _first_message(fields),
            "fields": fields,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = {"code": str(code), "message": str(detail)}
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        response["Retry-After"] = str(wait)
        body["message"] = f"Too many requests; retry in {wait} seconds."
    response.data = body
    return response


ERROR_STATUSES = {
    status.HTTP_400_BAD_REQUEST: "Invalid input; `fields` names each bad field.",
    status.HTTP_401_UNAUTHORIZED: "Not authenticated, or the token is unknown, expired or revoked.",
    status.HTTP_403_FORBIDDEN: "Visible, but you (or your token's scopes) may not do this.",
    status.HTTP_404_NOT_FOUND: "Not found, or not visible to you.",
    status.HTTP_409_CONFLICT: "Conflicts with an earlier write (e.g. a reused Idempotency-Key).",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The body is larger than the server takes.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Throttled; see the Retry-After header.",
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: a request Django refused before any view (``SuspiciousOperation``)
    answers in the API's format under ``/api/`` (413 for a body over the limit); every
    other path gets the page. (With DEBUG on, Django shows its own page instead.)"""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"code": "too_large", "message": _too_large()}, status=413)
        return JsonResponse({"code": "bad_request", "message": "Bad request."}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: a URL under ``/api/`` no route matches (``/api/v1/requests/x/``)
    answers in the API's format; every other path gets the page (templates/404.html)."""
    if _is_api(request):
        return JsonResponse({"code": "not_found", "message": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


UNROUTED = "api-unrouted"


@csrf_exempt  # answers 404 to every method; a token POST carries no CSRF token
def unrouted(request: HttpRequest, rest: str = "") -> JsonResponse:
    """The last route under ``/api/``: any path no endpoint matches, any method, answers
    the JSON 404, also with DEBUG on (no URL list) and before ``APPEND_SLASH`` (which
    turned ``POST /api/v1/requests`` into a 500, or a 301 clients follow as a GET).
    A path that exists with a trailing slash says so."""
    message = "Not found."
    if not request.path.endswith("/"):
        try:
            slashed = resolve(request.path + "/")
        except Resolver404:
            slashed = None
        if slashed is not None and slashed.url_name != UNROUTED:
            message = f"Not found; did you mean {request.path}/ ?"
    return JsonResponse({"code": "not_found", "message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the API's format under ``/api/``, the page elsewhere."""
    if _is_api(request):
        body = {"code": "error", "message": "Server error; it has been logged."}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
