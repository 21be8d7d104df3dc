"""The public pages' shared cache: what anyone sees of the micro-internships (the list, a
micro-internship's page, the interest form as it first appears), rendered once and kept in
the shared cache until something on it changes.

What is kept is only ever what every visitor sees alike: parts rendered without the request,
so no signed-in person, CSRF token or message can be in them. Each language has its own
parts. The page around them (the
navigation, messages, the form's token) is rendered for each request.

A kept part is stored with the version of the public pages it was built at, read before the
database was. Any save or delete of a micro-internship, a challenge or an organisation starts
a new version, at once and again after its transaction commits (`forget_public_pages`), so a
change shows up on the next request and a part built from data read just before the commit
is never served after it. A part is also kept no longer than the next instant a
micro-internship's interest window opens or closes (the pages depend on the clock), and never
longer than KEEP_SECONDS.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import get_language

from .enums import MicroInternshipState
from .models import MicroInternship

VERSION_KEY = "public-pages:version"
KEEP_SECONDS = 600


def cached_part(name: str, params: tuple, build: Callable[[], tuple[object, bool]]):
    """The part `name` for `params` from the shared cache, or `build()`'s when there is none
    still current. `build` returns (part, keep): a part that must not be kept (a page for a
    reference that does not exist, a search that matches nothing: anyone can ask for as
    many of those as they like) is returned without being stored. One cache round trip when
    the part is there."""
    key = _key(name, params)
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or _start_version()
    now = timezone.now()
    stored = found.get(key)
    if stored is not None:
        stored_version, valid_until, part = stored
        if stored_version == version and (valid_until is None or now < valid_until):
            return part
    part, keep = build()
    if keep:
        cache.set(key, (version, next_window_change(now), part), KEEP_SECONDS)
    return part


def forget_public_pages() -> None:
    """Start a new version of the public pages, so every kept part is built again.

    Side effects: writes a new version to the shared cache now, and again after the current
    transaction commits (a part built meanwhile from what the database showed before the
    commit is then never served)."""
    _new_version()
    transaction.on_commit(_new_version)


def next_window_change(now: datetime) -> datetime | None:
    """The next instant after `now` at which a public micro-internship's interest window
    opens or closes (what is open for interest changes then, without anything saved)."""
    upcoming = MicroInternship.objects.filter(state__in=MicroInternshipState.public()).aggregate(
        opens=Min("interest_opens_at", filter=Q(interest_opens_at__gt=now)),
        closes=Min("interest_closes_at", filter=Q(interest_closes_at__gt=now)),
    )
    instants = [instant for instant in upcoming.values() if instant is not None]
    return min(instants) if instants else None


def _key(name: str, params: tuple) -> str:
    """The part's key: its name, its parameters and the language it is written in."""
    digest = hashlib.sha256(json.dumps([get_language(), *params]).encode()).hexdigest()[:32]
    return f"public-pages:{name}:{digest}"


def _new_version() -> None:
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


def _start_version() -> str:
    """The version when the cache has none (new, emptied or restarted): a fresh one, unless
    another process has just set its own."""
    token = secrets.token_hex(8)
    cache.add(VERSION_KEY, token, None)
    return cache.get(VERSION_KEY) or token
