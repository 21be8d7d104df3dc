"""Which language an email is written in: the recipient's.

A person's choice is stored on their account (`User.language`; a student's through their
sign-in). Someone who has not chosen gets the language active when the email is written:
the one of the page they were on when what they did caused it (an interest form in Welsh
is acknowledged in Welsh), and English in the worker and the management commands, which
activate no other."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation

from microintern.accounts.domain import known_language


def stored_languages(people) -> dict[int, str]:
    """The chosen language of each person's account, by user id, in one query (for the many
    emails of one action); people whose account is loaded already cost nothing."""
    ids = {getattr(person, "user_id", None) for person in people if _loaded_user(person) is None}
    ids.discard(None)
    if not ids:
        return {}
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "language"))


def languages_unchanged(known: dict[int, str]) -> bool:
    """Whether the accounts in `known` (from `stored_languages`) still have those languages."""
    if not known:
        return True
    current = get_user_model().objects.filter(pk__in=known).values_list("pk", "language")
    return dict(current) == known


def recipient_language(person, known: dict[int, str] | None = None) -> str:
    """The language to write to `person` in (see the module's docstring). `known` holds
    languages already read by `stored_languages`."""
    return known_language(_stored(person, known)) or (
        known_language(translation.get_language()) or settings.LANGUAGE_CODE
    )


def _stored(person, known) -> str:
    if person is None:
        return ""
    if isinstance(person, get_user_model()):
        return person.language
    user = _loaded_user(person)
    if user is not None:
        return user.language
    user_id = getattr(person, "user_id", None)
    if user_id is None:
        return ""
    if known is not None and user_id in known:
        return known[user_id]
    found = get_user_model().objects.filter(pk=user_id).values_list("language", flat=True)
    return found.first() or ""


def _loaded_user(person):
    """The person's account if it is loaded already (a student made in this request)."""
    cache = getattr(getattr(person, "_state", None), "fields_cache", {})
    return cache.get("user")
