"""Encryption at rest for values the app must read back (sealed sign-in emails, webhook
secrets). Each use has its own salt, and the key is derived from SECRET_KEY and its
fallbacks, so a database dump or backup alone reveals nothing, and rotating SECRET_KEY
(old key kept in SECRET_KEY_FALLBACKS) keeps sealed values readable.
"""

import base64

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac


def key_ring(salt: str) -> MultiFernet:
    """The Fernet keys for `salt`: the current SECRET_KEY's first, then each fallback's."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(salt, "", secret=s, algorithm="sha256").digest()
                )
            )
            for s in secrets
        ]
    )
