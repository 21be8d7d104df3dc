"""Sealed email bodies. A sign-in email (a code, a password link) lets whoever reads it sign
in as its recipient, so it waits in the outbox encrypted with a key derived from SECRET_KEY:
staff pages, the admin and a database dump show only that it is hidden. It opens only until
the code or link inside stops working, so a mail held up by an outage is never sent late.
"""

import json
from datetime import datetime

from cryptography.fernet import InvalidToken, MultiFernet
from django.utils import timezone

from microintern.core.sealing import key_ring

SALT = "microintern.mail.sealed"
# The role of a sealed message is this prefix and the kind of sign-in email, e.g.
# "sign_in.login_code".
SEALED_ROLE_PREFIX = "sign_in."
HIDDEN = (
    "(sign-in email — hidden: it holds a code or a link that would sign in as the recipient, "
    "so nobody but the recipient may read it)"
)


class CannotOpen(Exception):
    """A sealed body that must not, or cannot, be sent: its sentence is the reason staff read."""


def _fernet() -> MultiFernet:
    return key_ring(SALT)


def seal(body: str, valid_until: datetime) -> str:
    """The body, encrypted together with the moment it stops being worth sending."""
    payload = json.dumps({"body": body, "valid_until": valid_until.isoformat()})
    return _fernet().encrypt(payload.encode()).decode()


def unseal(token: str, now: datetime | None = None) -> str:
    """The body, or `CannotOpen` when it expired or was sealed with a key no longer known."""
    try:
        payload = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as error:
        raise CannotOpen(
            "This sign-in email was sealed with a secret key that is no longer configured; "
            "not sent. The person can ask for a new one."
        ) from error
    valid_until = datetime.fromisoformat(payload["valid_until"])
    if (now or timezone.now()) >= valid_until:
        raise CannotOpen(
            "The code or link in this sign-in email expired before it could be sent, so it "
            "was not sent late. The person can ask for a new one."
        )
    return payload["body"]
