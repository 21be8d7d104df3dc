"""Make the var directory and this installation's keys in it (what `make run` does first)."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

KEY_FILES = {"secret_key": 50, "research_key": 32}


class Command(BaseCommand):
    help = (
        "Create the var directory (MICROINTERN_VAR_DIR) with a random secret key and research "
        "key, for development. Keys that exist are kept, so running it again changes nothing."
    )
    requires_system_checks = []  # the checks would only say that the keys are missing

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "In production the keys come from the environment: set SECRET_KEY and "
                "MICROINTERN_RESEARCH_KEY (or MICROINTERN_RESEARCH_KEY_FILE), each a long "
                "random value kept apart from the data."
            )
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        for name, length in KEY_FILES.items():
            key_file = settings.VAR_DIR / name
            if key_file.exists():
                self.stdout.write(f"{key_file} exists; kept.")
                continue
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(length))
            self.stdout.write(f"{key_file} written.")
