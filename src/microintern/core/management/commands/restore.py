"""`python -m microintern restore ARCHIVE [--replace]`: the database and uploaded files from
a backup, after checking all of it (see microintern.core.backup)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from microintern.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`. The whole archive is checked first; a damaged, "
        "changed or wrong-key archive is refused and nothing is changed."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace a database that already holds data (all of it) with the backup's.",
        )

    def handle(self, *args, archive: Path, replace: bool, **options):
        try:
            summary = backup.restore_backup(archive, backup.configured_key(), replace=replace)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = summary.manifest
        self.stdout.write(
            f"Restored {summary.rows} rows in {len(manifest['tables'])} tables "
            f"({manifest['inbound_mail']['messages']} inbound emails, raw bytes identical) and "
            f"{summary.media_files} uploaded files from the backup made "
            f"{manifest['created_at']} by version {manifest['app_version']}. Every row count "
            "matches the backup's manifest."
        )
        if summary.newer_code:
            self.stdout.write(
                "This version has migrations the backup lacks: run `python -m microintern "
                "migrate` next."
            )
