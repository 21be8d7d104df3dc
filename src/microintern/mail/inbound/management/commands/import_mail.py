"""`python -m microintern import_mail PATH`: store and process mail from a Maildir, an mbox
or .eml files. Importing the same files again changes nothing. Progress goes to stderr."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Import mail from a Maildir, an mbox file, an .eml file or a folder of .eml files."
    # Startup stays fast: the system checks load every URL and view, which importing mail
    # does not need (`python -m microintern check` runs them).
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--progress-seconds",
            type=float,
            default=2.0,
            help="Write a progress line to stderr at most this often (0: after every batch).",
        )

    def handle(self, *args, path: Path, progress_seconds: float, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        # The pipeline loads the applications and mail modules: only once there is a path.
        from microintern.mail.inbound.importers import import_path  # noqa: PLC0415 - fast start

        last = time.monotonic()

        def progress(done: int, total: int, counts) -> None:
            nonlocal last
            if done < total and time.monotonic() - last < progress_seconds:
                return
            last = time.monotonic()
            self.stderr.write(
                f"{done}/{total} read: {counts['stored']} stored, {counts['already']} stored before"
            )

        counts = import_path(path, progress=progress)
        self.stdout.write(
            ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "Nothing found."
        )
