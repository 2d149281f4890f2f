"""Push webhooks in: GitHub (HMAC-SHA256 signature) and GitLab (secret token).

A verified push is mapped to every project whose repository URL names the same
repository, and ``push_record`` runs for each as the ``ci`` system actor (it
re-pins the open request and re-runs its checks). Each delivery id is processed
once: the receipt row is written in the transaction of the push, so a replay (or
a redelivery) answers 200 "duplicate" and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from projects.actors import system_actor
from projects.api.base import ApiView, error_responses
from projects.models import Project, WebhookReceipt

from ..followups import push_record

ZERO_SHA = "0" * 40
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")


def repository_key(url: str) -> str | None:
    """``host/owner/repo`` of a repository URL, lower-case, without ``.git``; None if
    it is not one (https, ssh, git and scp-like ``git@host:owner/repo`` forms)."""
    url = (url or "").strip()
    if "://" in url:
        rest = url.split("://", 1)[1]
        host, _, path = rest.partition("/")
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    elif match := _SCP.match(url):
        host, path = match["host"], match["path"]
    else:
        return None
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or not path:
        return None
    return f"{host.lower()}/{path.lower()}"


def projects_for_repository(urls: list[str]) -> list[Project]:
    keys = {k for k in (repository_key(u) for u in urls) if k}
    if not keys:
        return []
    # Narrow in the database by the owner/repo part, then compare keys exactly.
    tails = Q()
    for key in keys:
        tails |= Q(repository_url__icontains=key.split("/", 1)[1])
    candidates = Project.objects.exclude(repository_url="").filter(tails)
    return [p for p in candidates if repository_key(p.repository_url) in keys]


class SignatureInvalid(exceptions.APIException):
    """401 without an auth scheme: the hook authenticates the body, not a caller."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "signature_invalid"
    default_detail = "The delivery's signature or token does not verify."


PushOut = inline_serializer(
    "PushReceived",
    fields={
        "status": serializers.ChoiceField(choices=["accepted", "duplicate", "ignored"]),
        "projects": serializers.ListField(child=serializers.CharField()),
        "message": serializers.CharField(),
    },
)


class _PushHook(ApiView):
    """Shared flow: verify, de-duplicate, map, record."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    source = ""

    def verify(self, request: Request) -> None:
        raise NotImplementedError

    def delivery_id(self, request: Request) -> str:
        raise NotImplementedError

    def parse(self, body: dict) -> tuple[str, str, list[str]]:
        """(ref, after SHA, repository URLs) of a push payload."""
        raise NotImplementedError

    def post(self, request: Request) -> Response:
        self.verify(request)
        delivery = self.delivery_id(request).strip()
        if not delivery or len(delivery) > 200:
            raise exceptions.ValidationError({"delivery": ["A delivery id header is required."]})
        body = request.data if isinstance(request.data, dict) else {}
        try:
            ref, after, urls = self.parse(body)
        except (KeyError, TypeError, AttributeError):
            raise exceptions.ValidationError(
                {"payload": ["Not a push payload (ref, after, repository)."]}
            ) from None
        if not ref.startswith("refs/heads/") or after == ZERO_SHA:
            return self._answer("ignored", [], "Only pushes that update a branch are recorded.")
        branch = ref.removeprefix("refs/heads/")
        projects = projects_for_repository(urls)
        actor = system_actor("ci")
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(source=self.source, delivery_id=delivery)
                for project in projects:
                    push_record(project=project, branch=branch, commit_sha=after, actor=actor)
        except IntegrityError:
            return self._answer("duplicate", [], "This delivery was already processed.")
        slugs = sorted(p.slug for p in projects)
        message = f"Recorded the push of {branch} for {len(slugs)} project(s)."
        return self._answer("accepted", slugs, message, status.HTTP_202_ACCEPTED)

    def _answer(self, what: str, slugs: list[str], message: str, code: int = 200) -> Response:
        return Response({"status": what, "projects": slugs, "message": message}, status=code)


def _require_secret(value: str | None, name: str) -> str:
    if not value:
        # Not configured: refuse everything rather than accept unsigned pushes.
        raise exceptions.PermissionDenied(f"{name} is not configured on this server.")
    return value


class GitHubPushHook(_PushHook):
    """GitHub push events, signed with ``X-Hub-Signature-256`` (HMAC-SHA256 of the body)."""

    source = "github"

    def verify(self, request: Request) -> None:
        secret = _require_secret(settings.MLTRL_GITHUB_WEBHOOK_SECRET, "The GitHub secret")
        sent = request.headers.get("X-Hub-Signature-256", "")
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise SignatureInvalid("The signature does not match the body.")
        if request.headers.get("X-GitHub-Event", "push") not in ("push", "ping"):
            raise exceptions.ValidationError({"event": ["Only push events are accepted."]})

    def delivery_id(self, request: Request) -> str:
        return request.headers.get("X-GitHub-Delivery", "")

    def parse(self, body: dict) -> tuple[str, str, list[str]]:
        repo = body["repository"]
        urls = [repo.get(k) or "" for k in ("clone_url", "ssh_url", "git_url", "html_url")]
        return str(body["ref"]), str(body["after"]).lower(), urls

    @extend_schema(
        auth=[],
        request=dict,
        parameters=[
            OpenApiParameter("X-Hub-Signature-256", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-GitHub-Delivery", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={200: PushOut, 202: PushOut, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)


class GitLabPushHook(_PushHook):
    """GitLab push hooks, authenticated with ``X-Gitlab-Token`` (the shared secret)."""

    source = "gitlab"

    def verify(self, request: Request) -> None:
        secret = _require_secret(settings.MLTRL_GITLAB_WEBHOOK_TOKEN, "The GitLab token")
        sent = request.headers.get("X-Gitlab-Token", "")
        if not hmac.compare_digest(sent.encode(), secret.encode()):
            raise SignatureInvalid("The GitLab token does not match.")

    def delivery_id(self, request: Request) -> str:
        # GitLab 15.4+ sends a per-delivery UUID; older ones only an idempotency key.
        return request.headers.get("X-Gitlab-Event-UUID", "") or request.headers.get(
            "Idempotency-Key", ""
        )

    def parse(self, body: dict) -> tuple[str, str, list[str]]:
        repo: dict[str, Any] = body.get("project") or body["repository"]
        urls = [repo.get(k) or "" for k in ("git_http_url", "git_ssh_url", "web_url", "url")]
        return str(body["ref"]), str(body["after"]).lower(), urls

    @extend_schema(
        auth=[],
        request=dict,
        parameters=[
            OpenApiParameter("X-Gitlab-Token", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Gitlab-Event-UUID", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={200: PushOut, 202: PushOut, **error_responses(400, 401, 403, 429)},
    )
    def post(self, request: Request) -> Response:
        return super().post(request)
