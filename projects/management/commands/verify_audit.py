"""``manage.py verify_audit``: verify every audit chain, completeness and the anchors.

Exit status is non-zero when anything is broken or missing; one ``BROKEN`` line
per problem goes to stderr (docs/deployment.md explains each).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from projects.audit import audit_verify_all


class Command(BaseCommand):
    help = (
        "Verify the keyed hash chain of every project's audit log and the org chain, "
        "that no chain is missing, and that the anchors written outside the database agree."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor-file",
            action="append",
            default=[],
            help="another anchor file to compare (e.g. what the webhook receiver kept); repeatable",
        )

    def handle(self, *args, **options) -> None:
        checked, breaks = audit_verify_all(anchor_files=options["anchor_file"])
        for found in breaks:
            where = f"event id {found.event_id}" if found.event_id else "no event"
            self.stderr.write(f"BROKEN {found.chain} at #{found.seq} ({where}): {found.problem}")
        if breaks:
            broken = len({found.chain for found in breaks})
            raise CommandError(f"{broken} of {checked} audit chains are broken.")
        self.stdout.write(self.style.SUCCESS(f"{checked} audit chains verified, all intact."))
