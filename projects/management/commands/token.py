"""``manage.py token create|list|revoke``: API tokens from a shell.

The command acts as the administrator named by ``--actor`` (default: the
token's own user), through the same services as the browser.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.models import ApiToken, Project, TokenScope
from projects.tokens import token_create, token_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once")
        create.add_argument("--user", required=True)
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scope",
            action="append",
            choices=TokenScope.values,
            required=True,
            help="repeat for several scopes",
        )
        create.add_argument("--project", action="append", default=[], help="restrict (slug)")
        create.add_argument("--days", type=int, default=None, help="expire after N days")
        create.add_argument("--actor", help="administrator creating it for someone else")
        listing = sub.add_parser("list", help="list tokens (never their secrets)")
        listing.add_argument("--user")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")
        revoke.add_argument("--actor", help="administrator revoking someone's token")

    def _user(self, username: str):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def handle(self, *args, **opts):
        try:
            getattr(self, f"_{opts['action']}")(opts)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from None

    def _create(self, opts):
        user = self._user(opts["user"])
        actor = self._user(opts["actor"]) if opts["actor"] else user
        projects = list(Project.objects.filter(slug__in=opts["project"]))
        if len(projects) != len(set(opts["project"])):
            raise CommandError("Unknown project slug among --project.")
        if opts["days"] is not None and opts["days"] < 1:
            raise CommandError("--days must be at least 1.")
        expires = timezone.now() + timedelta(days=opts["days"]) if opts["days"] else None
        issued = token_create(
            user=user,
            name=opts["name"],
            scopes=opts["scope"],
            projects=projects,
            expires_at=expires,
            actor=actor,
        )
        self.stderr.write("Shown once; store it now (e.g. as the MLTRL_TOKEN CI secret):")
        self.stdout.write(issued.text)

    def _list(self, opts):
        tokens = ApiToken.objects.select_related("user")
        if opts["user"]:
            tokens = tokens.filter(user__username=opts["user"])
        now = timezone.now()
        for t in tokens:
            state = "live" if t.is_live(now) else ("revoked" if t.revoked_at else "expired")
            self.stdout.write(
                f"{t.prefix}  {t.user.get_username()}  {t.name!r}  {','.join(t.scopes)}  "
                f"{state}  expires={t.expires_at or '-'}  last_used={t.last_used_at or '-'}"
                f" from {t.last_used_ip or '-'}"
            )

    def _revoke(self, opts):
        token = ApiToken.objects.select_related("user").filter(prefix=opts["prefix"]).first()
        if token is None:
            raise CommandError(f"No token with prefix {opts['prefix']!r}.")
        actor = self._user(opts["actor"]) if opts["actor"] else token.user
        token_revoke(token=token, actor=actor)
        self.stdout.write(f"Revoked {token.prefix}.")
