"""``manage.py verify_audit``: walk every audit chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from projects.audit import audit_verify_all


class Command(BaseCommand):
    help = "Verify the hash chain of every project's audit log (and the org chain)."

    def handle(self, *args, **options) -> None:
        checked, breaks = audit_verify_all()
        for found in breaks:
            where = f"event id {found.event_id}" if found.event_id else "no event"
            self.stderr.write(f"BROKEN {found.chain} at #{found.seq} ({where}): {found.problem}")
        if breaks:
            raise CommandError(f"{len(breaks)} of {checked} audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"{checked} audit chains verified, all intact."))
