"""`python -m microintern backup [--output PATH]`: one archive of the database and the
uploaded files, encrypted when MICROINTERN_BACKUP_KEY is set (see microintern.core.backup)."""

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from microintern.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (with the raw inbound mail in it) and the uploaded files to one "
        "archive, encrypted when MICROINTERN_BACKUP_KEY is set."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="The archive to write (default: backups/microintern-<UTC time>.tar[.enc] in "
            "the var directory).",
        )
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new backup key and exit."
        )

    def handle(self, *args, output: Path | None, new_key: bool, **options):
        if new_key:
            self.stdout.write(backup.new_key())
            return
        try:
            key = backup.configured_key()
            if output is None:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                suffix = ".tar.enc" if key else ".tar"
                output = settings.VAR_DIR / "backups" / f"microintern-{stamp}{suffix}"
            summary = backup.create_backup(output, key)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = summary.manifest
        self.stdout.write(
            f"Backed up {summary.rows} rows in {len(manifest['tables'])} tables "
            f"({manifest['inbound_mail']['messages']} inbound emails with their raw bytes) and "
            f"{summary.media_files} uploaded files to {summary.path} "
            f"({summary.path.stat().st_size} bytes)."
        )
        if summary.encrypted:
            self.stdout.write("Encrypted with the backup key: keep the key apart from the archive.")
        else:
            self.stdout.write(
                "Not encrypted: anyone who can read the file can read everything in it. Set "
                "MICROINTERN_BACKUP_KEY (make one with --new-key) to encrypt backups."
            )
