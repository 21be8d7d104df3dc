"""`python -m microintern fetch_mail [--mailbox NAME]`: poll IMAP mailboxes now."""

from django.core.management.base import BaseCommand, CommandError

from microintern.mail.inbound import imap
from microintern.mail.inbound.models import Mailbox


class Command(BaseCommand):
    help = "Fetch, store and process new mail from the configured IMAP mailboxes."

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="Only this mailbox (its name).")

    def handle(self, *args, mailbox=None, **options):
        if mailbox and not Mailbox.objects.filter(name=mailbox).exists():
            raise CommandError(f"No mailbox named {mailbox!r}.")
        results = imap.poll_all(name=mailbox)
        if not results:
            self.stdout.write("No active mailboxes.")
        for result in results:
            self.stdout.write(str(result))
        if any(r.error for r in results):
            raise CommandError("A mailbox could not be polled (see above).")
