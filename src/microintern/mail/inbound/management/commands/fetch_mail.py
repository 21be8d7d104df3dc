"""`python -m microintern fetch_mail [--mailbox NAME]`: poll IMAP mailboxes now. Progress
goes to stderr."""

import time

from django.core.management.base import BaseCommand, CommandError

from microintern.mail.inbound.models import Mailbox


class Command(BaseCommand):
    help = "Fetch, store and process new mail from the configured IMAP mailboxes."
    # Startup stays fast: the system checks load every URL and view, which polling does not
    # need (`python -m microintern check` runs them).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--mailbox", help="Only this mailbox (its name).")
        parser.add_argument(
            "--progress-seconds",
            type=float,
            default=2.0,
            help="Write a progress line to stderr at most this often (0: after every batch).",
        )

    def handle(self, *args, mailbox=None, progress_seconds: float, **options):
        # IMAP and the pipeline load the applications and mail modules: only once needed.
        from microintern.mail.inbound import imap  # noqa: PLC0415 - fast start

        if mailbox and not Mailbox.objects.filter(name=mailbox).exists():
            raise CommandError(f"No mailbox named {mailbox!r}.")
        last = time.monotonic()

        def progress(result, done: int, total: int) -> None:
            nonlocal last
            if done < total and time.monotonic() - last < progress_seconds:
                return
            last = time.monotonic()
            self.stderr.write(f"{result.mailbox}: {done}/{total} fetched, {result.stored} stored")

        results = imap.poll_all(name=mailbox, progress=progress)
        if not results:
            self.stdout.write("No active mailboxes.")
        for result in results:
            self.stdout.write(str(result))
        if any(r.error for r in results):
            raise CommandError("A mailbox could not be polled (see above).")
