"""The ``mltrl`` command: post evidence, open a request, ask the gate.

Exit codes: 0 success (the gate allows), 1 the gate refuses (its reasons are
printed), 2 a usage, connection, authentication or server error. Only the
standard library is used, so a pipeline needs nothing but Python.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2
TIMEOUT_S = 30


class ClientError(Exception):
    """Anything that is not an answer: usage, connection, HTTP error."""


def _config() -> tuple[str, str]:
    url = os.environ.get("MLTRL_URL", "").rstrip("/")
    token = os.environ.get("MLTRL_TOKEN", "")
    if not url.startswith(("http://", "https://")):
        raise ClientError("Set MLTRL_URL to the server's address, e.g. https://mltrl.example.com")
    if not token:
        raise ClientError("Set MLTRL_TOKEN to an API token (manage.py token create).")
    return url, token


def _call(method: str, path: str, body: Any = None, headers: dict | None = None) -> Any:
    url, token = _config()
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked in _config)
        f"{url}{path}",
        data=data,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **({"Content-Type": "application/json"} if data else {}),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read())
            message = error.get("message", "")
            fields = error.get("fields")
        except (ValueError, AttributeError):
            message, fields = exc.reason, None
        detail = f" {json.dumps(fields)}" if fields else ""
        raise ClientError(f"HTTP {exc.code}: {message}{detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ClientError(f"Cannot reach {url}: {getattr(exc, 'reason', exc)}") from None


def _metric(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep or not name:
            raise ValueError
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}") from None


def _evidence_post(args: argparse.Namespace) -> int:
    body = {
        "commit": args.commit,
        "check": args.check,
        "status": args.status,
        "summary": args.summary,
        "url": args.url,
        "metrics": dict(args.metric),
    }
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    path = f"/api/v1/projects/{urllib.parse.quote(args.project)}/evidence/"
    result = _call("POST", path, body, headers)
    print(f"Recorded {result['check']}={result['status']} for {result['commit'][:12]}.")
    return EXIT_OK


def _request_open(args: argparse.Namespace) -> int:
    body = {
        "project": args.project,
        "kind": args.kind,
        "to_level": args.to_level,
        "reason": args.reason,
        "commit": args.commit,
        "switchback_kind": args.switchback_kind,
    }
    result = _call("POST", "/api/v1/requests/", body)
    print(f"Opened request #{result['id']} ({result['from_level']} -> {result['to_level']}).")
    for line in result["gate"]["missing"]:
        print(f"  missing: {line}")
    return EXIT_OK


def _gate(args: argparse.Namespace) -> int:
    query = urllib.parse.urlencode({"level": args.level, "commit": args.commit})
    path = f"/api/v1/projects/{urllib.parse.quote(args.project)}/gate/?{query}"
    answer = _call("GET", path)
    where = f"{answer['project']} at level {answer['level']}, commit {answer['commit_sha'][:12]}"
    if answer["allowed"]:
        print(f"Allowed: {where}.")
        return EXIT_OK
    print(f"Refused: {where}.")
    for reason in answer["reasons"]:
        print(f"  - {reason}")
    return EXIT_REFUSED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mltrl", description="mltrl client for pipelines (MLTRL_URL, MLTRL_TOKEN)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    evidence = sub.add_parser("evidence", help="CI evidence").add_subparsers(
        dest="action", required=True
    )
    post = evidence.add_parser("post", help="post a check result for a commit")
    post.add_argument("--project", required=True)
    post.add_argument("--commit", required=True)
    post.add_argument("--check", required=True)
    post.add_argument("--status", required=True, choices=["pass", "warn", "fail", "error"])
    post.add_argument("--summary", default="")
    post.add_argument("--url", default="")
    post.add_argument("--metric", action="append", type=_metric, default=[], help="NAME=NUMBER")
    post.add_argument("--idempotency-key", default="", help="e.g. $CI_JOB_ID-<check>")
    post.set_defaults(run=_evidence_post)

    request = sub.add_parser("request", help="level-change requests").add_subparsers(
        dest="action", required=True
    )
    opening = request.add_parser("open", help="open an advance or switchback request")
    opening.add_argument("--project", required=True)
    opening.add_argument("--to-level", type=int, required=True)
    opening.add_argument("--kind", choices=["advance", "switchback"], default="advance")
    opening.add_argument("--reason", default="")
    opening.add_argument("--commit", default="")
    opening.add_argument(
        "--switchback-kind", choices=["", "discovery", "review", "embedded"], default=""
    )
    opening.set_defaults(run=_request_open)

    gate = sub.add_parser("gate", help="may this commit ship at this level? (exit 0 yes, 1 no)")
    gate.add_argument("--project", required=True)
    gate.add_argument("--level", type=int, required=True)
    gate.add_argument("--commit", required=True)
    gate.set_defaults(run=_gate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2
    try:
        return args.run(args)
    except ClientError as exc:
        print(f"mltrl: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
