"""``manage.py policy export|import|diff``: gate policies as JSON or TOML documents."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from gates.models import GatePolicyVersion
from gates.policy_documents import (
    policy_document_parse,
    policy_document_render,
    policy_import,
    policy_versions_diff,
)


def _version(key: str, number: int | None) -> GatePolicyVersion:
    versions = GatePolicyVersion.objects.filter(policy__key=key).order_by("-number")
    found = versions.filter(number=number).first() if number else versions.first()
    if found is None:
        raise CommandError(f"No version {number or '(any)'} of gate policy {key!r}.")
    return found


class Command(BaseCommand):
    help = "Export, import or diff gate policy versions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print a version (default: the newest)")
        export.add_argument("key")
        export.add_argument("--version", type=int)
        export.add_argument("--format", choices=["toml", "json"], default="toml")
        imp = sub.add_parser("import", help="publish a document as the next version")
        imp.add_argument("key")
        imp.add_argument("file", type=Path)
        imp.add_argument("--actor", required=True, help="an administrator's username")
        diff = sub.add_parser("diff", help="what changed between two versions")
        diff.add_argument("key")
        diff.add_argument("older", type=int)
        diff.add_argument("newer", type=int)

    def handle(self, *args, **opts):
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _export(self, opts):
        version = _version(opts["key"], opts["version"])
        self.stdout.write(policy_document_render(version.snapshot, opts["format"]), ending="")

    def _import(self, opts):
        path: Path = opts["file"]
        fmt = "json" if path.suffix == ".json" else "toml"
        try:
            text = path.read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        actor = get_user_model().objects.filter(username=opts["actor"]).first()
        version = policy_import(
            key=opts["key"], document=policy_document_parse(text, fmt), actor=actor
        )
        self.stdout.write(f"{opts['key']} is at version {version.number}.")

    def _diff(self, opts):
        older = _version(opts["key"], opts["older"])
        newer = _version(opts["key"], opts["newer"])
        changes = policy_versions_diff(older.snapshot, newer.snapshot)
        if not changes:
            self.stdout.write("No differences.")
        for change in changes:
            self.stdout.write(f"{change['field']}: {change['before']!r} -> {change['after']!r}")
