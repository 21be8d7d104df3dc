"""Make the var directory and this installation's keys in it (what `make run` does first)."""

import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

KEY_FILES = {"secret_key": 50, "research_key": 32}


class Command(BaseCommand):
    help = (
        "Create the var directory (MICROINTERN_VAR_DIR) with a random secret key, research "
        "key and badge signing key, for development. Keys that exist are kept, so running it "
        "again changes nothing."
    )
    requires_system_checks = []  # the checks would only say that the keys are missing

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "In production the keys come from the environment: set SECRET_KEY and "
                "MICROINTERN_RESEARCH_KEY (or MICROINTERN_RESEARCH_KEY_FILE), each a long "
                "random value kept apart from the data, and MICROINTERN_BADGE_KEY_FILE to the "
                "badge signing key (see docs/deployment.md)."
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
        self._badge_key(settings.MICROINTERN_BADGE_KEY_FILE)

    def _badge_key(self, key_file) -> None:
        """The RSA key that signs Open Badges (RS256, as Open Badges 3.0 requires)."""
        if key_file.exists():
            self.stdout.write(f"{key_file} exists; kept.")
            return
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_bytes(pem)
        self.stdout.write(f"{key_file} written.")
