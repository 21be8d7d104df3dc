"""Who is asking, and how long they must wait after wrong passwords or codes.

The client's address is the one our own reverse proxies saw: the last
MICROINTERN_TRUSTED_PROXY_COUNT entries of X-Forwarded-For were written by them, so the one
before those is the client; with no proxy configured X-Forwarded-For is ignored (anyone can
write it), and with MICROINTERN_TRUSTED_CLIENT_IP_HEADER that header is used instead.

Wrong passwords and authenticator codes never lock an account. Each attempt is counted, in
the shared cache, for three scopes: this address and this account, this address on any
account, and this account from any address. A scope allows a few free failures; after
them each further failure doubles the wait before the next attempt from that scope is even
checked (1 s, 2 s, 4 s … up to LONGEST_WAIT_SECONDS). The account scope does not apply to
an address the account has signed in from before, so an attacker elsewhere can slow a
stranger's guesses at an account but never its owner. An attempt counts as a failure from
the moment it starts (so that parallel requests cannot slip past the count) and is taken
back when it succeeds.
"""

import contextlib
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from allauth import app_settings as allauth_settings
from allauth.core.internal.ratelimit import cache_lock
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

FIRST_FACTOR = "first_factor"
SECOND_FACTOR = "second_factor"
KNOWN_ADDRESSES_KEPT = 20


def client_address(request) -> str:
    """The client's address as our own proxies saw it (see the module's docstring); for
    IPv6 its /64 network (ALLAUTH_RATE_LIMIT_IPV6_PREFIX), which one customer holds."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.MICROINTERN_TRUSTED_CLIENT_IP_HEADER
    proxies = settings.MICROINTERN_TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    if header:
        candidate = request.headers.get(header, "")
    elif proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        candidate = hops[-proxies] if len(hops) >= proxies else hops[0]
    else:
        candidate = remote
    return _valid_address(candidate) or _valid_address(remote) or "unknown"


def _valid_address(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.version == 6:
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)
    return str(address)


def wait_after(failures: int, free: int) -> float:
    """Seconds to wait before the next attempt after `failures` failures, `free` of which
    cost nothing: 0 until then, then 1 s, doubling per failure, up to the longest wait."""
    rule = settings.MICROINTERN_SIGN_IN_DELAY
    if failures < free:
        return 0.0
    doublings = min(failures - free, 30)
    return float(min(rule["LONGEST_WAIT_SECONDS"], rule["FIRST_WAIT_SECONDS"] * 2**doublings))


def _key(*parts: str) -> str:
    return "microintern:signin:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class _Scope:
    key: str
    free: int


def _scopes(kind: str, account: str, address: str) -> list[_Scope]:
    rule = settings.MICROINTERN_SIGN_IN_DELAY
    scopes = [
        _Scope(_key(kind, "pair", account, address), rule["PAIR_FREE_FAILURES"]),
        _Scope(_key(kind, "address", address), rule["ADDRESS_FREE_FAILURES"]),
    ]
    if not is_known_address(account, address):
        scopes.append(_Scope(_key(kind, "account", account), rule["ACCOUNT_FREE_FAILURES"]))
    return scopes


@contextlib.contextmanager
def _locked(scopes: list[_Scope]):
    """Hold every scope's cache lock (in key order), or raise a wait of one second."""
    with contextlib.ExitStack() as stack:
        for scope in sorted(scopes, key=lambda s: s.key):
            if not stack.enter_context(cache_lock(scope.key)):
                raise _delayed(1)
        yield


def _delayed(seconds: float) -> ValidationError:
    seconds = math.ceil(seconds)
    if seconds >= 120:
        wait = f"{math.ceil(seconds / 60)} minutes"
    else:
        wait = "1 second" if seconds == 1 else f"{seconds} seconds"
    return ValidationError(
        f"Too many wrong attempts. Please wait {wait}, then try again.",
        code="sign_in_delayed",
    )


class Attempt:
    """One sign-in attempt that has been let through and counted as a failure until
    `succeeded` takes it back."""

    def __init__(self, kind: str, account: str, address: str, scopes: list[_Scope]):
        self.kind, self.account, self.address, self.scopes = kind, account, address, scopes

    def succeeded(self) -> None:
        """Take the attempt back: the pair starts afresh (the person knew the secret), the
        address and the account keep only their other failures."""
        forget = settings.MICROINTERN_SIGN_IN_DELAY["FORGET_AFTER_SECONDS"]
        with contextlib.suppress(ValidationError), _locked(self.scopes):
            pair, *others = self.scopes
            cache.delete(pair.key)
            for scope in others:
                state = cache.get(scope.key)
                if state and state["failures"] > 0:
                    cache.set(scope.key, {**state, "failures": state["failures"] - 1}, forget)


def begin_attempt(kind: str, account: str, address: str) -> Attempt:
    """Let an attempt through, counted as a failure, or raise a ValidationError saying how
    long to wait (the secret is then not even checked)."""
    account = account.strip().lower()
    rule = settings.MICROINTERN_SIGN_IN_DELAY
    scopes = _scopes(kind, account, address)
    with _locked(scopes):
        now = time.time()
        states = [cache.get(scope.key) or {"failures": 0, "last": now} for scope in scopes]
        wait = max(
            wait_after(state["failures"], scope.free) - (now - state["last"])
            for scope, state in zip(scopes, states, strict=True)
        )
        if wait > 0:
            raise _delayed(wait)
        for scope, state in zip(scopes, states, strict=True):
            cache.set(
                scope.key,
                {"failures": state["failures"] + 1, "last": now},
                rule["FORGET_AFTER_SECONDS"],
            )
    return Attempt(kind, account, address, scopes)


def is_known_address(account: str, address: str) -> bool:
    """Whether `account` signed in from `address` in the last KNOWN_ADDRESS_SECONDS."""
    return address in cache.get(_key("known", account.strip().lower()), [])


def remember_address(account: str, address: str) -> None:
    """Remember that `account` signed in from `address`: the account-wide delay no longer
    applies there."""
    key = _key("known", account.strip().lower())
    with contextlib.suppress(ValidationError), _locked([_Scope(key, 0)]):
        known = [a for a in cache.get(key, []) if a != address]
        cache.set(
            key,
            [address, *known][:KNOWN_ADDRESSES_KEPT],
            settings.MICROINTERN_SIGN_IN_DELAY["KNOWN_ADDRESS_SECONDS"],
        )
