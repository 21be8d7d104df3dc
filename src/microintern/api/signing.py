"""Webhook signatures, as the Standard Webhooks specification has them (pure: no Django).

Each delivery carries three headers: `webhook-id` (the event's id, the same on every
attempt), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,` and the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`, keyed with the bytes
of the subscription's secret after its `whsec_` prefix). A receiver recomputes it and
refuses a timestamp far from its own clock, so a captured delivery cannot be replayed.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the marker before every secret, not a secret
TOLERANCE_SECONDS = 5 * 60


class BadSignature(Exception):
    """A delivery whose signature does not verify: the sentence says why."""


def new_secret() -> str:
    """A fresh subscription secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three signature headers of one attempt."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int) -> None:
    """Raise `BadSignature` unless `received` (header names in lower case) signs `body` with
    `secret` within TOLERANCE_SECONDS of `now`. What a receiver does; the tests use it."""
    try:
        event_id = received["webhook-id"]
        timestamp = int(received["webhook-timestamp"])
        offered = received["webhook-signature"].split()
    except (KeyError, ValueError) as error:
        raise BadSignature(f"Missing or malformed signature header: {error}") from error
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("The timestamp is too far from now (a replay?).")
    expected = signature(secret, event_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise BadSignature("No signature matches the body.")
