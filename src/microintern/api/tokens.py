"""API tokens: made and revoked by administrators, checked on every API request.

A token is `mi_` and 43 random URL-safe characters. Only its SHA-256 is stored, so a
database dump gives nobody access; the token is shown to the administrator once. A request
names the token in `Authorization: Bearer …`; it is refused (401) when unknown, revoked or
expired, each with its own sentence, and a scope it lacks is refused (403) by name.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from microintern.core.domain import log_activity
from microintern.core.errors import Refusal
from microintern.core.locking import lock_row

from .enums import Scope
from .models import ApiToken

TOKEN_PREFIX = "mi_"  # noqa: S105 - the marker before every token, not a token
LONGEST_LIFETIME = timedelta(days=366)
LAST_USED_PRECISION = timedelta(minutes=1)  # last_used_at is written at most once a minute


class ApiRefusal(Refusal):
    """An API request refused: `status` is the HTTP status, `code` a stable word for
    programs, the message the sentence a person reads."""

    status = 400
    code = "refused"

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class NotAuthenticated(ApiRefusal):
    status, code = 401, "not_authenticated"


class TokenExpired(ApiRefusal):
    status, code = 401, "token_expired"


class TokenRevoked(ApiRefusal):
    status, code = 401, "token_revoked"


class ScopeMissing(ApiRefusal):
    status, code = 403, "scope_missing"


class TooManyRequests(ApiRefusal):
    status, code = 429, "rate_limited"


class TokenRefused(Refusal):
    """An administrator's request about a token that the rules do not allow."""


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(*, name: str, scopes, expires_at, actor) -> NewToken:
    """Make a token for the integration `name` with `scopes`, valid until `expires_at`
    (at most LONGEST_LIFETIME ahead); logs `api_token.created`. Returns the row and the
    token itself, which is shown once and never stored."""
    now = timezone.now()
    wanted = sorted({Scope(s).value for s in scopes})
    if not name.strip():
        raise TokenRefused("Please name the integration this token is for.")
    if not wanted:
        raise TokenRefused("Please choose at least one scope.")
    if expires_at <= now:
        raise TokenRefused("The expiry date must be in the future.")
    if expires_at > now + LONGEST_LIFETIME:
        raise TokenRefused("A token lasts at most a year: choose an earlier expiry date.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            name=name.strip(),
            scopes=wanted,
            prefix=secret[:10],
            secret_sha256=_sha256(secret),
            created_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        log_activity(token, "api_token.created", actor=actor, scopes=wanted)
    return NewToken(token, secret)


@transaction.atomic
def revoke_token(token: ApiToken, *, actor) -> ApiToken:
    """Revoke `token` at once (its next request gets 401 "revoked"); logs
    `api_token.revoked`. Refuses a token already revoked."""
    locked = lock_row(ApiToken, token.pk)
    if locked.revoked_at is not None:
        raise TokenRefused(f"“{locked.name}” was already revoked.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])
    log_activity(locked, "api_token.revoked", actor=actor)
    return locked


def authenticate(header: str, *, address: str = "unknown", now=None) -> ApiToken:
    """The token named by an `Authorization` header value, or a refusal saying what is
    wrong: missing, not a bearer token, unknown, revoked or expired. Notes the use
    (`last_used_at`, to the minute) and counts the request against the token's rate limit
    (`TooManyRequests` with the seconds to wait). Refusals are counted per client
    `address`: past API_FAILED_AUTH_LIMIT in a window, that address is answered 429
    before any token is looked up (guessing or replaying tokens is slowed as much as
    using one)."""
    now = now or timezone.now()
    _refuse_address_past_failures(address, now)
    try:
        token = _known_token(header, now)
    except ApiRefusal:
        _count(f"api-auth-failed:{address}", now)
        raise
    count_request(token, now)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _known_token(header: str, now) -> ApiToken:
    scheme, _, value = header.partition(" ")
    if not header:
        raise NotAuthenticated(
            "No API token: send it as the header “Authorization: Bearer <token>”."
        )
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("The Authorization header must be “Bearer <token>”.")
    token = ApiToken.objects.filter(secret_sha256=_sha256(value.strip())).first()
    if token is None:
        raise NotAuthenticated("This API token is not known. Ask an administrator for one.")
    if token.revoked_at is not None:
        raise TokenRevoked(
            f"This API token (“{token.name}”) was revoked on "
            f"{timezone.localtime(token.revoked_at):%d %B %Y at %H:%M}. "
            "Ask an administrator for a new one."
        )
    if token.expires_at <= now:
        raise TokenExpired(
            f"This API token (“{token.name}”) expired on "
            f"{timezone.localtime(token.expires_at):%d %B %Y at %H:%M}. "
            "Ask an administrator for a new one."
        )
    return token


def count_request(token: ApiToken, now) -> None:
    """Count one request in the token's current window (the shared cache, so every
    process counts together); `TooManyRequests` past API_RATE_LIMIT requests a window."""
    limit = settings.MICROINTERN_API["RATE_LIMIT"]
    if _count(f"api-rate:{token.pk}", now) > limit:
        raise TooManyRequests(
            f"Too many requests: this token may make {limit} every {_window()} seconds. "
            f"Try again in {_wait(now)} seconds.",
            retry_after=_wait(now),
        )


def _refuse_address_past_failures(address: str, now) -> None:
    limit = settings.MICROINTERN_API["FAILED_AUTH_LIMIT"]
    if (cache.get(_window_key(f"api-auth-failed:{address}", now)) or 0) >= limit:
        raise TooManyRequests(
            f"Too many requests with a missing, unknown, revoked or expired API token from "
            f"this address ({limit} every {_window()} seconds). "
            f"Try again in {_wait(now)} seconds.",
            retry_after=_wait(now),
        )


def _window() -> int:
    return settings.MICROINTERN_API["RATE_WINDOW_SECONDS"]


def _window_key(name: str, now) -> str:
    return f"{name}:{int(now.timestamp() // _window())}"


def _wait(now) -> int:
    return max(1, math.ceil(_window() - now.timestamp() % _window()))


def _count(name: str, now) -> int:
    """Add one to the counter `name` of the current window (shared cache); its new value."""
    key = _window_key(name, now)
    cache.add(key, 0, timeout=_window() + 5)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between add and incr: start counting again
        cache.set(key, 1, timeout=_window() + 5)
        return 1


def require_scope(token: ApiToken, scope: Scope) -> None:
    """Refuse (403, naming the scope) unless `token` was given `scope`."""
    if scope.value not in token.scopes:
        raise ScopeMissing(
            f"This token lacks the scope “{scope.value}” ({scope.label}). "
            "An administrator can make a token that has it."
        )
