"""`manage.py mark_past_due`: the beat job, for cron users and for tests.

Runs the same service as the Celery task, then queues the past-due digest e-mails (unless
--no-email), and says how many reports it marked.
"""

from django.core.management.base import BaseCommand, CommandParser

from reports.reminders import reminders_past_due_send
from reports.services import reports_mark_past_due


class Command(BaseCommand):
    help = "Mark every pending report whose deadline has passed, and e-mail the digests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-email",
            action="store_true",
            help="Only mark; leave the digest e-mails to the next run of the Celery task.",
        )

    def handle(self, *args, no_email: bool = False, **options) -> None:
        marked = reports_mark_past_due()
        self.stdout.write(f"Marked {marked} report{'s' if marked != 1 else ''} past due.")
        if not no_email:
            queued = reminders_past_due_send()
            self.stdout.write(f"Queued {queued} digest e-mail{'s' if queued != 1 else ''}.")
