"""`python -m microintern import_mail PATH`: store and process mail from a Maildir, an mbox
or .eml files. Importing the same files again changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from microintern.mail.inbound.importers import import_path


class Command(BaseCommand):
    help = "Import mail from a Maildir, an mbox file, an .eml file or a folder of .eml files."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        counts = import_path(path)
        self.stdout.write(
            ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "Nothing found."
        )
